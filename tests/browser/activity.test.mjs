// The Activity page (PRODUCT.md §14) in Chromium against axiom-local: the audit log with
// time, action, actor key (or operator), target, IP and user agent, and Load more.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  apiCall,
  createKey,
  dateTime,
  eventually,
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
const rows = (page) => page.locator('#events tr[data-event-id]');
const eventIds = (page) => rows(page).evaluateAll((trs) => trs.map((tr) => tr.dataset.eventId));

test('lists the audit log: time, action, actor, target, IP and user agent; Load more to the first event', TIMEOUT, () =>
  withPage(async (page) => {
    // Enough changes for more than one page, the newest of them a revoke and a cancel.
    const agent = `activity-test/1.0 ${Date.now()}`;
    const existing = (await listAll('/v1/audit-events', 'events')).length;
    // (Flows, not keys: the API Keys tests expect this session's key on the first page.)
    for (let i = existing; i < 52; i += 1) await saveFlow(`activity-${i}`, [{ id: 'a', op: 'set', value: { i } }]);
    const doomed = await createKey(`doomed-${Date.now()}`);
    assert.equal((await apiCall('DELETE', `/v1/api-keys/${doomed.id}`, { userAgent: agent })).status, 204);
    const graphId = await saveFlow('activity-pause', [{ id: 'hold', op: 'pause' }]);
    const run = await invoke(graphId);
    assert.equal((await apiCall('POST', `/invocations/v1/executions/${run.execution_id}/cancel`, { body: {} })).status, 200);
    const { body: who } = await apiCall('GET', '/v1/whoami');

    const all = await listAll('/v1/audit-events', 'events');
    assert.ok(all.length > 50);

    await signIn(page, 'activity');
    await page.getByRole('heading', { name: 'Activity', level: 1 }).waitFor();
    await eventually(async () => (await rows(page).count()) === 50, { message: 'a first page of 50' });
    assert.deepEqual(await eventIds(page), all.slice(0, 50).map((event) => event.id));

    // The cancel: its target links to the run.
    const cancelled = all.find((event) => event.action === 'execution.cancelled' && event.target.id === run.execution_id);
    const cancelRow = page.locator(`#events tr[data-event-id="${cancelled.id}"]`);
    await cancelRow.getByRole('link').click();
    await page.waitForURL(`**/console/executions/${run.execution_id}`);
    await page.getByRole('heading', { name: /^Execution/, level: 1 }).waitFor();
    await page.goBack();
    await page.getByRole('heading', { name: 'Activity', level: 1 }).waitFor();

    // The revoke, with every column.
    const revoked = all.find((event) => event.action === 'key.revoked' && event.target.id === doomed.id);
    const row = page.locator(`#events tr[data-event-id="${revoked.id}"]`);
    await row.waitFor();
    const [time, action, actor, target, ip, userAgent] = await row.locator('td').allTextContents();
    assert.equal(flat(time), flat(dateTime.format(new Date(revoked.at))));
    assert.equal(action, 'Key revokedkey.revoked');
    assert.equal(revoked.actor_key_id, who.key_id);
    assert.equal(await row.locator('td').nth(2).locator('[data-id]').getAttribute('data-id'), who.key_id);
    assert.match(actor, /This session/);
    assert.match(target, /^key/);
    assert.equal(await row.locator('td').nth(3).locator('[data-id]').getAttribute('data-id'), doomed.id);
    assert.equal(ip, revoked.source_ip);
    assert.equal(userAgent, agent);
    assert.equal(revoked.user_agent, agent);
    await page.mouse.move(0, 0);
    await screenshot(page, 'activity');

    // The account's first key was made by the operator.
    await loadEverything(page, 'events-more', rows(page));
    assert.deepEqual(await eventIds(page), all.map((event) => event.id));
    const first = all.at(-1);
    assert.equal(first.action, 'key.created');
    assert.equal(first.actor_key_id, null);
    const firstRow = page.locator(`#events tr[data-event-id="${first.id}"]`);
    assert.equal((await firstRow.locator('td').allTextContents())[2], 'operator');
  }));
