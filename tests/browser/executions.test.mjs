// Runs in the Console (PRODUCT.md §9, §13, §17) in Chromium against axiom-local: the Usage
// page's Recent executions table (status filter, Load more, links) and the run view at
// /console/executions/<id> (status, steps with times, input, output or error, Cancel, Resume).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';

import {
  BASE_URL,
  apiCall,
  dateTime,
  eventually,
  focusedId,
  invoke,
  launch,
  listAll,
  loadEverything,
  saveFlow,
  screenshot,
  signIn,
  withPage as withTab,
} from './support.mjs';

const TIMEOUT = { timeout: 120_000 };

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const withPage = (body) => withTab(browser, body);
const flat = (text) => text.replace(/\s/g, ' ');
const runRows = (page) => page.locator('#runs tr[data-execution-id]');
const ids = (rows) => rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.executionId));

const PAUSING = [
  { id: 'reserve', op: 'set', value: { reserved: true, who: { $from: '/user' } } },
  { id: 'approve', op: 'pause' },
  { id: 'charge', op: 'set', value: { charged: true } },
];
const FAILING = [
  { id: 'reserve', op: 'set', value: { reserved: true }, compensate: { op: 'set', value: { reserved: false } } },
  { id: 'charge', op: 'fail', message: 'card declined' },
];
const QUICK = [{ id: 'greet', op: 'set', value: { greeting: 'hi' } }];

let flows;
async function sampleFlows() {
  flows ??= {
    pausing: await saveFlow('checkout', PAUSING),
    failing: await saveFlow('billing', FAILING),
    quick: await saveFlow('hello', QUICK),
  };
  return flows;
}

async function openRun(page, id) {
  await signIn(page, `executions/${id}`);
  await page.getByRole('heading', { name: /^Execution/, level: 1 }).waitFor();
}

const status = (page) => page.locator('#status [data-status]').getAttribute('data-status');

test('Recent executions lists runs newest first, filters them by status and links to each', TIMEOUT, () =>
  withPage(async (page) => {
    const { pausing, failing, quick } = await sampleFlows();
    const ok = await invoke(quick);
    const failed = await invoke(failing);
    const paused = await invoke(pausing, { user: 'ann' });
    assert.deepEqual([ok.status, failed.status, paused.status], ['succeeded', 'failed', 'paused']);

    await signIn(page, 'usage');
    const section = page.getByRole('region', { name: 'Recent executions' });
    await section.waitFor();
    const rows = runRows(page);
    await rows.first().waitFor();
    const firstPage = (await apiCall('GET', '/invocations/v1/executions?limit=20')).body.executions;
    assert.deepEqual(await ids(rows), firstPage.map((run) => run.execution_id));
    assert.equal(firstPage[0].execution_id, paused.execution_id, 'newest first');

    const row = page.locator(`#runs tr[data-execution-id="${failed.execution_id}"]`);
    const [id, badge, flow, started, duration] = await row.locator('td').allTextContents();
    assert.equal(id, failed.execution_id);
    assert.equal(badge, 'Failed');
    assert.equal(flow, 'billing');
    assert.equal(flat(started), flat(dateTime.format(new Date(failed.started_at))));
    assert.match(duration, /^\d+ ms$|^[\d.]+ s$/);
    assert.equal((await page.locator(`#runs tr[data-execution-id="${paused.execution_id}"] td`).allTextContents())[4], '—');

    const filter = section.getByLabel('Status');
    await filter.selectOption('failed');
    await eventually(async () => {
      const statuses = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.status));
      return statuses.length > 0 && statuses.every((s) => s === 'failed') && (await ids(rows)).includes(failed.execution_id);
    }, { message: 'only failed runs' });
    const failedOnly = (await apiCall('GET', '/invocations/v1/executions?status=failed&limit=20')).body.executions;
    assert.deepEqual(await ids(rows), failedOnly.map((run) => run.execution_id));

    await filter.selectOption('paused');
    await eventually(async () => (await ids(rows))[0] === paused.execution_id && (await rows.evaluateAll((trs) => trs.every((tr) => tr.dataset.status === 'paused'))), { message: 'only paused runs' });
    await filter.selectOption('compensation_failed');
    await section.getByText('No compensation failed executions.').waitFor();
    await filter.selectOption('');
    await eventually(async () => (await ids(rows))[0] === paused.execution_id && (await rows.count()) === firstPage.length, { message: 'all again' });
    await screenshot(section, 'usage-recent-executions');

    await page.getByRole('link', { name: failed.execution_id }).click();
    await page.waitForURL(`${BASE_URL}/console/executions/${failed.execution_id}`);
    await page.getByRole('heading', { name: /^Execution/, level: 1 }).waitFor();
    await eventually(async () => (await status(page)) === 'failed', { message: 'the failed run opens' });
  }));

test('Recent executions loads more runs, each once', TIMEOUT, () =>
  withPage(async (page) => {
    const { quick } = await sampleFlows();
    const existing = (await listAll('/invocations/v1/executions', 'executions')).length;
    for (let i = existing; i < 45; i += 1) await invoke(quick, { i }, { wait: false });
    const all = await listAll('/invocations/v1/executions', 'executions', { limit: 20 });
    assert.ok(all.length > 40);

    await signIn(page, 'usage');
    const rows = runRows(page);
    await eventually(async () => (await rows.count()) === 20, { message: 'a first page of 20' });
    await page.locator('#runs-more').click();
    await eventually(async () => (await rows.count()) === 40, { message: 'a second page' });
    assert.deepEqual(await ids(rows), all.slice(0, 40).map((run) => run.execution_id));
    await loadEverything(page, 'runs-more', rows);
    assert.deepEqual(await ids(rows), all.map((run) => run.execution_id));
  }));

test('the run view shows a paused run and resumes it with input', TIMEOUT, () =>
  withPage(async (page) => {
    const { pausing } = await sampleFlows();
    const run = await invoke(pausing, { user: 'ann' });
    const record = (await apiCall('GET', `/invocations/v1/executions/${run.execution_id}`)).body;
    await openRun(page, run.execution_id);
    await eventually(async () => (await status(page)) === 'paused', { message: 'paused' });
    assert.equal(await page.locator('#execution-id').textContent(), run.execution_id);
    assert.equal(await page.locator('#graph-id').textContent(), pausing);
    assert.equal(await page.locator('#flow-name').textContent(), 'checkout');
    assert.equal(await page.locator('#ended').textContent(), 'Still in flight');

    const steps = await page.locator('#steps tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
    assert.deepEqual(steps.map((cells) => cells.slice(0, 3)), [['1', 'reserve', 'Succeeded'], ['2', 'approve', 'Paused'], ['3', 'charge', 'Pending']]);
    assert.equal(flat(steps[0][3]), flat(dateTime.format(new Date(record.steps[0].started_at))));
    assert.equal(flat(steps[0][4]), flat(dateTime.format(new Date(record.steps[0].ended_at))));
    assert.deepEqual(steps[2].slice(3), ['—', '—', '—']);
    assert.deepEqual(JSON.parse(await page.locator('#input').textContent()), { user: 'ann' });
    await page.getByText('No output yet: a run has one when it succeeds.').waitFor();
    await page.getByRole('button', { name: 'Cancel run' }).waitFor();
    await screenshot(page, 'execution-paused');

    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Resume this run' });
    await dialog.waitFor();
    const input = dialog.getByLabel('Input to merge');
    await input.fill('{nope');
    await dialog.getByRole('button', { name: 'Resume run' }).click();
    await dialog.getByText('That is not valid JSON.').waitFor();
    await input.fill('[1]');
    await dialog.getByRole('button', { name: 'Resume run' }).click();
    await dialog.getByText('Enter a JSON object').waitFor();
    await input.fill('{"approved": true}');
    await dialog.getByRole('button', { name: 'Resume run' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('Resumed the run.').waitFor();

    await eventually(async () => (await status(page)) === 'succeeded', { message: 'succeeded after resume', timeout: 20_000 });
    const output = JSON.parse(await page.locator('#output').textContent());
    assert.equal(output.approved, true);
    assert.equal(output.charged, true);
    assert.equal(await page.getByRole('button', { name: 'Resume', exact: true }).isVisible(), false);
    assert.equal(await page.getByRole('button', { name: 'Cancel run' }).isVisible(), false);
    assert.equal(await focusedId(page), 'refresh', 'focus stays in the page');
    const after = (await apiCall('GET', `/invocations/v1/executions/${run.execution_id}`)).body;
    assert.equal(after.status, 'succeeded');
    assert.deepEqual(after.output, output);
  }));

test('the run view cancels a paused run after asking', TIMEOUT, () =>
  withPage(async (page) => {
    const { pausing } = await sampleFlows();
    const run = await invoke(pausing, { user: 'bob' });
    await openRun(page, run.execution_id);
    await eventually(async () => (await status(page)) === 'paused', { message: 'paused' });

    await page.getByRole('button', { name: 'Cancel run' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this run?' });
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), 'Keep it');
    await screenshot(page, 'execution-cancel');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await apiCall('GET', `/invocations/v1/executions/${run.execution_id}`)).body.status, 'paused');

    await page.getByRole('button', { name: 'Cancel run' }).click();
    await dialog.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByText('Cancelled the run.').waitFor();
    await eventually(async () => (await status(page)) === 'cancelled', { message: 'cancelled' });
    assert.equal(await page.getByRole('button', { name: 'Cancel run' }).isVisible(), false);
    assert.equal(await page.getByRole('button', { name: 'Resume', exact: true }).isVisible(), false);
    assert.equal((await apiCall('GET', `/invocations/v1/executions/${run.execution_id}`)).body.status, 'cancelled');
  }));

test('the run view shows a failed run\'s error and its compensated steps, with no actions', TIMEOUT, () =>
  withPage(async (page) => {
    const { failing } = await sampleFlows();
    const run = await invoke(failing, { card: '4242' });
    await openRun(page, run.execution_id);
    await eventually(async () => (await status(page)) === 'failed', { message: 'failed' });
    await page.getByText('Step “charge” failed').waitFor();
    await page.locator('#run-error').getByText('card declined', { exact: true }).waitFor();
    const steps = await page.locator('#steps tr').evaluateAll((trs) => trs.map((tr) => tr.cells[2].textContent));
    assert.deepEqual(steps, ['Compensated', 'Failed']);
    assert.equal(await page.locator('#output').isVisible(), false);
    await page.getByText('No output: only a run that succeeds has one.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel run' }).isVisible(), false);
    assert.equal(await page.getByRole('button', { name: 'Resume', exact: true }).isVisible(), false);
    await screenshot(page, 'execution-failed');
  }));

test('the run view follows a running run until it ends', TIMEOUT, () =>
  withPage(async (page) => {
    const slow = await saveFlow('slow', [{ id: 'wait', op: 'sleep', ms: 2500 }, { id: 'done', op: 'set', value: { done: true } }]);
    const run = await invoke(slow, {}, { wait: false });
    await openRun(page, run.execution_id);
    await eventually(async () => ['queued', 'running'].includes(await status(page)), { message: 'in flight' });
    await page.getByText('This run is in flight: the page updates every 2 seconds.').waitFor();
    await eventually(async () => (await status(page)) === 'succeeded', { message: 'succeeded without a click', timeout: 30_000 });
    assert.deepEqual(JSON.parse(await page.locator('#output').textContent()), { done: true });
    assert.equal(await page.locator('#live').isVisible(), false);
  }));

test('the run view says when there is no such run', TIMEOUT, () =>
  withPage(async (page) => {
    await openRun(page, randomUUID());
    await page.getByText('Execution not found').waitFor();
    await page.getByRole('link', { name: 'See recent executions' }).click();
    await page.waitForURL(`${BASE_URL}/console/usage`);
  }));
