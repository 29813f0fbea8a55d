// The Flows page in Chromium against axiom-local (PRODUCT.md §17): the account's flows with
// Load more, and the Use via API dialog whose copied curl command is run as it stands.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import {
  API_KEY,
  BASE_URL,
  dateOnly,
  eventually,
  focusedId,
  launch,
  listAll,
  loadEverything,
  saveFlow,
  screenshot,
  signIn,
  withPage as withTab,
} from './support.mjs';

const TIMEOUT = { timeout: 120_000 };
const run = promisify(execFile);

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const withPage = (body) => withTab(browser, body);
const rowOf = (page, graphId) => page.locator(`#flows tr[data-graph-id="${graphId}"]`);

test('lists flows and gives the guide\'s curl command for one, which runs it', TIMEOUT, () =>
  withPage(async (page) => {
    const name = `greeter-${Date.now()}`;
    const graphId = await saveFlow(name, [{ id: 'greet', op: 'set', value: { greeting: 'hello' } }]);
    const listed = (await listAll('/v1/flows', 'flows')).find((flow) => flow.graph_id === graphId);

    await signIn(page, 'flows');
    await page.getByRole('heading', { name: 'Flows', level: 1 }).waitFor();
    const row = rowOf(page, graphId);
    await row.waitFor();
    assert.deepEqual((await row.locator('td').allTextContents()).slice(0, 4), [name, graphId, dateOnly.format(new Date(listed.created_at)), 'Use via API']);
    const first = (await listAll('/v1/flows', 'flows')).slice(0, 50).map((flow) => flow.graph_id);
    assert.deepEqual(await page.locator('#flows tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.graphId)), first);

    const open = page.getByRole('button', { name: `Use ${name} via API` });
    await open.click();
    const dialog = page.getByRole('dialog', { name: 'Use via API' });
    await dialog.waitFor();
    const command = await dialog.locator('#use-command').textContent();
    assert.equal(command, [
      `curl -X POST '${BASE_URL}/invocations/v1/flows/invoke' \\`,
      `  -H "Authorization: Bearer $AXIOM_API_KEY" \\`,
      `  -H 'Content-Type: application/json' \\`,
      `  -d '{"graph_id": "${graphId}", "input": {}, "wait": true}'`,
    ].join('\n'));
    assert.equal(await focusedId(page), 'copy-command');
    await dialog.getByRole('button', { name: 'Copy' }).click();
    await dialog.getByRole('button', { name: 'Copied' }).waitFor();
    await dialog.getByText('The command is on your clipboard.').waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, command);
    await screenshot(page, 'flows-use-via-api');

    // The command, as copied, runs the flow with the key from the environment.
    const { stdout } = await run('sh', ['-c', `${copied} --silent --show-error --max-time 30`], {
      env: { PATH: process.env.PATH, AXIOM_API_KEY: API_KEY },
      timeout: 40_000,
    });
    const answer = JSON.parse(stdout);
    assert.equal(answer.graph_id, graphId);
    assert.equal(answer.status, 'succeeded');
    assert.deepEqual(answer.output, { greeting: 'hello' });

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), `Use ${name} via API`);
    await screenshot(page, 'flows');
  }));

test('lists every flow with Load more, each once', TIMEOUT, () =>
  withPage(async (page) => {
    const existing = (await listAll('/v1/flows', 'flows')).length;
    for (let i = existing; i < 55; i += 1) await saveFlow(`bulk-flow-${i}`, [{ id: 'a', op: 'set', value: { i } }]);
    const all = await listAll('/v1/flows', 'flows');

    await signIn(page, 'flows');
    const rows = page.locator('#flows tr[data-graph-id]');
    await eventually(async () => (await rows.count()) === 50, { message: 'a first page of 50' });
    assert.ok(await loadEverything(page, 'flows-more', rows) >= 1);
    assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.graphId)), all.map((flow) => flow.graph_id));
    assert.equal(await page.locator('#flows-more').isVisible(), false);
  }));
