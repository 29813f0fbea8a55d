// The API Keys page's key lifecycle controls (PRODUCT.md §9, §12, §13) in Chromium against
// axiom-local: expiry in the Create key dialog, the Expires column and Expired badge, the Roll
// dialog ending in the one-time Save your API key dialog, last-use origin, and Load more.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  BASE_URL,
  KEY_PATTERN,
  apiCall,
  createKey,
  dateOnly,
  dateTime,
  eventually,
  focusedId,
  launch,
  listAll,
  loadEverything,
  screenshot,
  signIn,
  withPage as withTab,
} from './support.mjs';

const TIMEOUT = { timeout: 120_000 };
const DAY = 86_400_000;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const withPage = (body) => withTab(browser, body);
const cells = (row) => row.locator('td').allTextContents();
/** Picks an overlap by clicking its label, as a person does (the radio itself is styled away). */
const choose = (dialog, label) => dialog.locator('label.choice', { hasText: label }).click();
const rowOf = (page, id) => page.locator(`#keys tr[data-key-id="${id}"]`);
const listed = async (id) => (await listAll('/v1/api-keys', 'keys')).find((key) => key.id === id);
/** ICU puts a narrow no-break space before AM/PM in some versions: compare spaces as spaces. */
const flat = (text) => text.replace(/\s/g, ' ');
const rfc3339 = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

test('creates keys that expire: a preset, then a chosen day; the Expires column shows them', TIMEOUT, () =>
  withPage(async (page) => {
    await signIn(page, 'api-keys');
    await page.locator('#keys tr').first().waitFor();
    const dialog = page.getByRole('dialog', { name: 'Create API key' });
    const expires = dialog.getByLabel('Expires', { exact: true });

    // In 30 days.
    await page.getByRole('button', { name: 'Create key' }).click();
    assert.equal(await expires.inputValue(), 'never', 'keys never expire unless asked');
    await dialog.getByText('The key works until you revoke it.').waitFor();
    const name = `expiring-${Date.now()}`;
    await dialog.getByLabel('Name').fill(name);
    await expires.selectOption('30');
    await dialog.getByText(/^The key works until .+, then every request with it is refused\.$/).waitFor();
    const sent = Date.now();
    await dialog.getByLabel('Name').press('Enter');
    const save = page.getByRole('dialog', { name: 'Save your API key' });
    await save.waitFor();
    assert.match((await save.locator('#new-key').textContent()).trim(), KEY_PATTERN);
    assert.match(await save.locator('#save-facts').textContent(), /^It expires [A-Z][a-z]{2} \d{1,2}, \d{4}, /);
    await save.getByRole('button', { name: 'Done' }).click();

    const made = (await apiCall('GET', '/v1/api-keys')).body.keys.find((key) => key.name === name);
    const at = new Date(made.expires_at).getTime();
    assert.ok(at >= sent + 30 * DAY - 5000 && at <= Date.now() + 30 * DAY + 5000, made.expires_at);
    assert.equal(made.status, 'active');
    await eventually(async () => (await cells(rowOf(page, made.id)))[4] === dateOnly.format(new Date(made.expires_at)), { message: 'Expires column' });

    // A chosen day: required once chosen, and the key works until that day ends (UTC here).
    await page.getByRole('button', { name: 'Create key' }).click();
    const dayName = `until-a-day-${Date.now()}`;
    await dialog.getByLabel('Name').fill(dayName);
    await expires.selectOption('custom');
    const date = dialog.getByLabel('Expiry date');
    assert.equal(await focusedId(page), 'create-expiry-date');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    await dialog.getByText('Choose the day the key expires.').waitFor();
    const day = new Date(Date.now() + 10 * DAY).toISOString().slice(0, 10);
    await date.fill(day);
    const dayName2 = new Intl.DateTimeFormat('en-US', { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date(`${day}T12:00:00Z`));
    await dialog.getByText(`The key works until the end of ${dayName2} (your time zone)`).waitFor();
    await screenshot(page, 'create-key-expiry');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    await save.waitFor();
    await save.getByRole('button', { name: 'Done' }).click();
    const chosen = (await apiCall('GET', '/v1/api-keys')).body.keys.find((key) => key.name === dayName);
    assert.equal(chosen.expires_at, rfc3339(new Date(`${day}T00:00:00Z`).getTime() + DAY));
  }));

test('an expired key is listed with an Expired badge and cannot be rolled', TIMEOUT, () =>
  withPage(async (page) => {
    const expiresAt = Math.ceil((Date.now() + 2500) / 1000) * 1000;
    const short = await createKey(`short-lived-${Date.now()}`, { expires_at: rfc3339(expiresAt) });
    await eventually(async () => Date.now() > expiresAt + 500, { message: 'the key expired', timeout: 10_000 });
    assert.equal((await apiCall('GET', '/v1/whoami', { key: short.key })).status, 403);
    assert.equal((await listed(short.id)).status, 'expired');

    await signIn(page, 'api-keys');
    const row = rowOf(page, short.id);
    await row.waitFor();
    assert.equal(await row.locator('.badge-expired').textContent(), 'Expired');
    assert.match((await cells(row))[4], /^Expired/);
    assert.equal(await row.getByRole('button', { name: `Roll ${short.name}` }).count(), 0);
    await row.getByRole('button', { name: `Revoke ${short.name}` }).waitFor();

    await row.getByRole('button', { name: `Details of ${short.name}` }).click();
    await page.locator(`#key-details-${short.id}`).getByText('Expired: every request with it is refused.').waitFor();
    await page.mouse.move(0, 0);
    await screenshot(page, 'api-keys-expired');
  }));

test('rolls a key with an overlap: the old key works until it ends; the new key is shown once', TIMEOUT, () =>
  withPage(async (page) => {
    const name = `deploy-${Date.now()}`;
    const old = await createKey(name);
    await signIn(page, 'api-keys');
    await rowOf(page, old.id).waitFor();

    await page.getByRole('button', { name: `Roll ${name}`, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Roll API key' });
    await dialog.waitFor();
    await dialog.getByText(`Replace ${name} (${old.masked}) with a new key of the same name.`).waitFor();
    await dialog.getByText('The old key keeps working until the overlap ends, so your deployments can switch to the new key without downtime.').waitFor();
    const overlap = dialog.getByRole('group', { name: 'Keep the old key working for' });
    for (const label of ['Now no overlap', '1 hour', '24 hours', '7 days']) await overlap.getByRole('radio', { name: label, exact: true }).waitFor({ state: 'attached' });
    assert.equal(await overlap.getByRole('radio', { name: '24 hours' }).isChecked(), true, 'an overlap by default');
    assert.equal(await focusedId(page), '', 'focus is on the chosen overlap');
    assert.equal(await page.evaluate(() => document.activeElement.value), '86400');
    await choose(dialog, '1 hour');
    assert.equal(await overlap.getByRole('radio', { name: '1 hour' }).isChecked(), true);
    await screenshot(page, 'roll-key');
    const sent = Date.now();
    await dialog.getByRole('button', { name: 'Roll key' }).click();

    const save = page.getByRole('dialog', { name: 'Save your API key' });
    await save.waitFor();
    await dialog.waitFor({ state: 'hidden' });
    const key = (await save.locator('#new-key').textContent()).trim();
    assert.match(key, KEY_PATTERN);
    assert.equal(await focusedId(page), 'copy-key');
    await save.getByRole('button', { name: 'Copy' }).click();
    await save.getByRole('button', { name: 'Copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
    await page.getByText(`Rolled the key “${name}”. The old key works until`).waitFor();
    await save.getByRole('button', { name: 'Done' }).click();
    await save.waitFor({ state: 'hidden' });
    await eventually(async () => !(await page.content()).includes(key), { message: 'the raw key is gone from the page' });

    // Both keys work during the overlap; the old one is listed with the overlap's end.
    const who = await apiCall('GET', '/v1/whoami', { key });
    assert.equal(who.status, 200);
    assert.notEqual(who.body.key_id, old.id);
    assert.equal((await apiCall('GET', '/v1/whoami', { key: old.key })).status, 200);
    const oldListed = await listed(old.id);
    const ends = new Date(oldListed.expires_at).getTime();
    assert.ok(ends >= sent + 3_600_000 - 5000 && ends <= Date.now() + 3_600_000 + 5000, oldListed.expires_at);
    assert.equal(flat((await cells(rowOf(page, old.id)))[4]), flat(dateTime.format(new Date(ends))), 'a close expiry shows its time');
    const fresh = rowOf(page, who.body.key_id);
    assert.equal((await cells(fresh))[0], name);
    assert.equal((await cells(fresh))[4], 'Never');

    // Roll the new key with no overlap: it leaves the list and stops working at once.
    await fresh.getByRole('button', { name: `Roll ${name}` }).click();
    await dialog.waitFor();
    assert.equal(await dialog.getByText(/It never works past its own expiry/).isVisible(), false);
    await choose(dialog, 'Now');
    await dialog.getByRole('button', { name: 'Roll key' }).click();
    await save.waitFor();
    const third = (await save.locator('#new-key').textContent()).trim();
    await page.getByText(`Rolled the key “${name}”. The old key no longer works.`).waitFor();
    await save.getByRole('button', { name: 'Done' }).click();
    await fresh.waitFor({ state: 'detached' });
    assert.equal((await apiCall('GET', '/v1/whoami', { key })).status, 403);
    assert.equal((await apiCall('GET', '/v1/whoami', { key: third })).status, 200);
  }));

test('rolling the key the Console is signed in with moves the session to the new key', TIMEOUT, () =>
  withPage(async (page) => {
    const own = await createKey(`own-roll-${Date.now()}`);
    await signIn(page, 'api-keys', own.key);
    const row = rowOf(page, own.id);
    await row.waitFor();
    await row.getByRole('button', { name: `Roll ${own.name}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Roll API key' });
    await dialog.getByText('This Console is signed in with this key: it switches to the new key.').waitFor();
    await choose(dialog, 'Now');
    await dialog.getByRole('button', { name: 'Roll key' }).click();
    const save = page.getByRole('dialog', { name: 'Save your API key' });
    await save.waitFor();
    const key = (await save.locator('#new-key').textContent()).trim();
    await save.getByRole('button', { name: 'Done' }).click();

    assert.equal(await page.evaluate(() => sessionStorage.getItem('axiom.console.apiKey')), key);
    assert.equal((await apiCall('GET', '/v1/whoami', { key: own.key })).status, 403);
    const { body: who } = await apiCall('GET', '/v1/whoami', { key });
    // Still signed in: the list is drawn again with the new key marked as this session's.
    await eventually(async () => /This session$/.test((await cells(rowOf(page, who.key_id)))[0]), { message: 'new key is this session' });
    await page.reload();
    await rowOf(page, who.key_id).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Sign in with an API key' }).isVisible(), false);
  }));

test('shows where a key was last used from, on hover and in a details row', TIMEOUT, () =>
  withPage(async (page) => {
    const agent = `deploy-bot/2.1 (+https://example.com/bot) ${Date.now()}`;
    const used = await createKey(`used-${Date.now()}`);
    assert.equal((await apiCall('GET', '/v1/whoami', { key: used.key, userAgent: agent })).status, 200);
    const answer = await eventually(async () => {
      const key = await listed(used.id);
      return key.last_used_user_agent === agent && key;
    }, { message: 'the API records the last use', timeout: 20_000 });

    await signIn(page, 'api-keys');
    const row = rowOf(page, used.id);
    await row.waitFor();
    const time = row.locator('td').nth(3).locator('time');
    assert.equal(flat(await time.getAttribute('title')), flat(`${dateTime.format(new Date(answer.last_used_at))} · from ${answer.last_used_ip} · ${agent}`));

    const toggle = row.getByRole('button', { name: `Details of ${used.name}` });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    const details = page.locator(`#key-details-${used.id}`);
    assert.equal(await toggle.getAttribute('aria-controls'), `key-details-${used.id}`);
    const facts = await details.locator('dt, dd').allTextContents();
    const pairs = Object.fromEntries(facts.reduce((all, text, i) => (i % 2 ? all : [...all, [text, facts[i + 1]]]), []));
    assert.equal(pairs['Key ID'], used.id);
    assert.equal(pairs.Status, 'Active');
    assert.equal(flat(pairs['Last used']), flat(dateTime.format(new Date(answer.last_used_at))));
    assert.equal(pairs['Last used from'], answer.last_used_ip);
    assert.equal(pairs['User agent'], agent);
    assert.equal(pairs.Expires, 'Never');
    await page.mouse.move(0, 0);
    await screenshot(page, 'api-keys-details');

    await toggle.click();
    await details.waitFor({ state: 'detached' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  }));

test('lists every key with Load more, each once', TIMEOUT, () =>
  withPage(async (page) => {
    const existing = (await listAll('/v1/api-keys', 'keys')).length;
    for (let i = existing; i < 56; i += 1) await createKey(`bulk-${i}`);
    const all = await listAll('/v1/api-keys', 'keys');
    assert.ok(all.length > 50);

    await signIn(page, 'api-keys');
    const rows = page.locator('#keys tr[data-key-id]');
    await eventually(async () => (await rows.count()) === 50, { message: 'a first page of 50' });
    await page.getByRole('button', { name: 'Load more' }).waitFor();
    assert.ok(await loadEverything(page, 'keys-more', rows) >= 1);
    const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.keyId));
    assert.deepEqual(ids, all.map((key) => key.id));
  }));

test('Console pages are served at their paths, the run view at any run id', TIMEOUT, async () => {
  for (const [path, status] of [
    ['flows', 200],
    ['activity', 200],
    ['device', 200],
    ['executions/01a21977-28ae-77d3-880e-718e5a9cf4fd', 200],
    ['assets/execution.js', 200],
    ['executions/', 404],
    ['executions/a/b', 404],
    ['executions/a.b', 404],
    ['execution', 404],
  ]) {
    const response = await fetch(`${BASE_URL}/console/${path}`);
    assert.equal(response.status, status, path);
    if (status === 200) assert.match(response.headers.get('content-security-policy'), /script-src 'self';/);
  }
});
