// The API Keys page in Chromium against axiom-local: the key prompt, listing, the Create key
// and Save your API key dialogs, revocation, and sign-out.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  API_KEY,
  BASE_URL,
  KEY_PATTERN,
  apiCall,
  assertNoProblems,
  createKey,
  eventually,
  focusedId,
  launch,
  screenshot,
  signIn,
} from './support.mjs';

const TIMEOUT = { timeout: 90_000 };
const createdDate = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Runs `body` with a fresh tab, closed afterwards; the tab must log no errors. */
async function withPage(body) {
  const page = await browser.page();
  try {
    await body(page);
    assertNoProblems(page);
  } finally {
    await page.close();
  }
}

const cells = (row) => row.locator('td').allTextContents();
const rowOf = (page, id) => page.locator(`#keys tr[data-key-id="${id}"]`);
const storedKey = (page) => page.evaluate(() => sessionStorage.getItem('axiom.console.apiKey'));

test('asks for an API key once, refuses malformed and unknown keys, then shows the keys', TIMEOUT, () =>
  withPage(async (page) => {
    const response = await page.goto(`${BASE_URL}/console/api-keys`);
    const csp = response.headers()['content-security-policy'];
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self';/);

    await page.getByRole('heading', { name: 'Sign in with an API key' }).waitFor();
    assert.equal(await page.locator('#page').isVisible(), false, 'nothing of the page before sign-in');
    assert.equal(await focusedId(page), 'api-key');
    await screenshot(page, 'sign-in');

    const input = page.getByLabel('API key', { exact: true });
    await input.press('Enter');
    await page.getByText('Paste an API key.').waitFor();
    await input.fill('not-a-key');
    await input.press('Enter');
    await page.getByText('That is not an API key').waitFor();
    await input.fill('0'.repeat(64));
    await input.press('Enter');
    await page.getByText('This key was refused: it is invalid or has been revoked.').waitFor();
    assert.equal(await storedKey(page), null);

    await input.fill(` ${API_KEY}\n`);
    await input.press('Enter');
    await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
    assert.equal(await page.locator('#account-email').textContent(), 'demo@axiom.local');
    assert.equal(await page.locator('#account-tenant').textContent(), 'demo');
    assert.equal(await storedKey(page), API_KEY);

    // The demo account's keys, newest first, as the API lists them.
    const { body } = await apiCall('GET', '/v1/api-keys');
    await page.locator('#keys tr').first().waitFor();
    const ids = await page.locator('#keys tr').evaluateAll((rows) => rows.map((row) => row.dataset.keyId));
    assert.deepEqual(ids, body.keys.map((key) => key.id));

    // Reloading the tab keeps the session; a new tab starts signed out.
    await page.reload();
    await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();
    const other = await browser.page();
    await other.goto(`${BASE_URL}/console/api-keys`);
    await other.getByRole('heading', { name: 'Sign in with an API key' }).waitFor();
    await other.close();
  }));

test('lists keys with their name, masked key, creation date and last use', TIMEOUT, () =>
  withPage(async (page) => {
    const ci = await createKey('ci');
    const laptop = await createKey('laptop');
    assert.equal((await apiCall('GET', '/v1/whoami', { key: laptop.key })).status, 200);
    const { body: who } = await apiCall('GET', '/v1/whoami');

    await signIn(page, 'api-keys');
    const laptopRow = rowOf(page, laptop.id);
    await eventually(async () => {
      await page.reload();
      await laptopRow.waitFor();
      return (await cells(laptopRow))[3] !== 'Never';
    }, { message: 'laptop shows a last use', timeout: 20_000 });

    const [name, masked, created, lastUsed] = await cells(laptopRow);
    assert.equal(name, 'laptop');
    assert.equal(masked, `${laptop.key.slice(0, 8)}…${laptop.key.slice(-4)}`);
    assert.equal(created, createdDate.format(new Date(laptop.created_at)));
    assert.match(lastUsed, /^[A-Z][a-z]{2} \d{1,2}, \d{4}$/);
    assert.equal((await cells(rowOf(page, ci.id)))[3], 'Never');
    // The key this Console is signed in with is marked.
    assert.match((await cells(rowOf(page, who.key_id)))[0], /This session$/);
    // Each row has a labelled revoke button.
    await page.getByRole('button', { name: 'Revoke laptop', exact: true }).waitFor();

    await page.mouse.move(0, 0);
    await screenshot(page, 'api-keys');
  }));

test('creates a key: the name is required, Enter submits, the key is shown once and works', TIMEOUT, () =>
  withPage(async (page) => {
    await signIn(page, 'api-keys');
    await page.locator('#keys tr').first().waitFor();
    const countKeys = async () => (await apiCall('GET', '/v1/api-keys')).body.keys.length;
    const before = await countKeys();

    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create API key' });
    await dialog.waitFor();
    assert.equal(await focusedId(page), 'key-name', 'the Name field has focus');
    assert.equal(await dialog.evaluate((d) => d.matches(':modal')), true, 'a modal <dialog>');

    // An empty (or blank) name is refused in the dialog, and nothing is created.
    await page.keyboard.press('Enter');
    await dialog.getByText('Enter a name for the key.').waitFor();
    await dialog.getByLabel('Name').fill('   ');
    await dialog.getByLabel('Name').press('Enter');
    await dialog.getByText('Enter a name for the key.').waitFor();
    assert.equal(await dialog.getByLabel('Name').getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'create-key-empty-name');
    await dialog.getByLabel('Name').fill('x'.repeat(65));
    await dialog.getByRole('button', { name: 'Create key' }).click();
    await dialog.getByText('A name is at most 64 characters.').waitFor();
    assert.equal(await dialog.isVisible(), true);
    assert.equal(await countKeys(), before);

    const name = `browser-${Date.now()}`;
    await dialog.getByLabel('Name').fill(`  ${name} `);
    await dialog.getByLabel('Name').press('Enter');

    const save = page.getByRole('dialog', { name: 'Save your API key' });
    await save.waitFor();
    await dialog.waitFor({ state: 'hidden' });
    const key = (await save.locator('#new-key').textContent()).trim();
    assert.match(key, KEY_PATTERN);
    assert.equal(await focusedId(page), 'copy-key');
    await save.getByRole('button', { name: 'Copy' }).click();
    await save.getByRole('button', { name: 'Copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
    await screenshot(page, 'save-your-api-key');

    // Listed behind the dialog: masked, never used.
    const listed = (await apiCall('GET', '/v1/api-keys')).body.keys.find((k) => k.name === name);
    assert.ok(listed, 'the API lists the new key under its trimmed name');
    const row = rowOf(page, listed.id);
    await row.waitFor();
    await save.getByRole('button', { name: 'Done' }).click();
    await save.waitFor({ state: 'hidden' });
    assert.equal(await focusedId(page), 'create-key', 'focus goes back to Create key');
    assert.deepEqual((await cells(row)).slice(0, 4), [
      name,
      `${key.slice(0, 8)}…${key.slice(-4)}`,
      createdDate.format(new Date(listed.created_at)),
      'Never',
    ]);
    // The raw key is gone from the page once the dialog is closed.
    assert.equal((await page.content()).includes(key), false);

    // The key works against the API.
    const who = await apiCall('GET', '/v1/whoami', { key });
    assert.equal(who.status, 200);
    assert.equal(who.body.key_id, listed.id);
    assert.equal(who.body.email, 'demo@axiom.local');
  }));

test('shows the API\'s own error message in the Create key dialog', TIMEOUT, () =>
  withPage(async (page) => {
    const bad = 'tab\there';
    const answer = await apiCall('POST', '/v1/api-keys', { body: { name: bad } });
    assert.equal(answer.status, 400);

    await signIn(page, 'api-keys');
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create API key' });
    await dialog.getByLabel('Name').fill(bad);
    await dialog.getByLabel('Name').press('Enter');
    await dialog.getByText(answer.body.error.message, { exact: true }).waitFor();
    assert.equal(await dialog.isVisible(), true);

    // Escape closes the dialog and focus returns to the button that opened it.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await focusedId(page), 'create-key');
  }));

test('revokes a key through the confirmation dialog; the key stops working at once', TIMEOUT, () =>
  withPage(async (page) => {
    const doomed = await createKey('staging');
    await signIn(page, 'api-keys');
    const row = rowOf(page, doomed.id);
    await row.waitFor();

    const trash = page.getByRole('button', { name: 'Revoke staging', exact: true });
    await trash.click();
    const dialog = page.getByRole('dialog', { name: 'Revoke API key' });
    await dialog.waitFor();
    await dialog.getByText(`Revoke staging (${doomed.masked})?`).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), 'Cancel');

    // Cancel keeps it.
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Revoke staging');
    assert.equal((await apiCall('GET', '/v1/whoami', { key: doomed.key })).status, 200);

    await trash.click();
    await dialog.waitFor();
    await screenshot(page, 'revoke-key');
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await row.waitFor({ state: 'detached' });
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('Revoked the key “staging”.').waitFor();
    assert.equal(await focusedId(page), 'create-key');

    assert.equal((await apiCall('GET', '/v1/whoami', { key: doomed.key })).status, 403);
    const { body } = await apiCall('GET', '/v1/api-keys');
    assert.equal(body.keys.some((key) => key.id === doomed.id), false);
  }));

test('a key refused by the API sends the user back to the key prompt with a message', TIMEOUT, () =>
  withPage(async (page) => {
    const temporary = await createKey('temporary');
    await signIn(page, 'api-keys', temporary.key);
    await rowOf(page, temporary.id).waitFor();

    // Revoked elsewhere: the next call the page makes gets a 403.
    assert.equal((await apiCall('DELETE', `/v1/api-keys/${temporary.id}`)).status, 204);
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create API key' });
    await dialog.getByLabel('Name').fill('never-created');
    await dialog.getByLabel('Name').press('Enter');

    await page.getByRole('heading', { name: 'Sign in with an API key' }).waitFor();
    await page.getByText('Your API key was refused: it is invalid or has been revoked.').waitFor();
    assert.equal(await storedKey(page), null);
    assert.equal(await page.locator('#page').isVisible(), false);
    const { body } = await apiCall('GET', '/v1/api-keys');
    assert.equal(body.keys.some((key) => key.name === 'never-created'), false);
  }));

test('revoking the key the Console is signed in with signs out', TIMEOUT, () =>
  withPage(async (page) => {
    const own = await createKey('own-session');
    await signIn(page, 'api-keys', own.key);
    await page.getByRole('button', { name: 'Revoke own-session', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke API key' });
    await dialog.getByText('revoking it signs you out').waitFor();
    await dialog.getByRole('button', { name: 'Revoke key' }).click();

    await page.getByRole('heading', { name: 'Sign in with an API key' }).waitFor();
    await page.getByText('You revoked the key this Console was signed in with.').waitFor();
    assert.equal((await apiCall('GET', '/v1/whoami', { key: own.key })).status, 403);
  }));

test('navigates between the pages in one session, and signs out', TIMEOUT, () =>
  withPage(async (page) => {
    await signIn(page, 'api-keys');
    const nav = page.getByRole('navigation', { name: 'Console' });
    assert.equal(await nav.getByRole('link', { name: 'API Keys' }).getAttribute('aria-current'), 'page');

    await nav.getByRole('link', { name: 'Usage' }).click();
    await page.waitForURL(`${BASE_URL}/console/usage`);
    await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
    assert.equal(await nav.getByRole('link', { name: 'Usage' }).getAttribute('aria-current'), 'page');
    await nav.getByRole('link', { name: 'API Keys' }).click();
    await page.getByRole('heading', { name: 'API Keys', level: 1 }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in with an API key' }).waitFor();
    await page.getByText('You are signed out.').waitFor();
    assert.equal(await storedKey(page), null);
    assert.equal(await page.locator('#keys tr').count(), 0, 'no key data left in the page');

    await page.goto(`${BASE_URL}/console/usage`);
    await page.getByRole('heading', { name: 'Sign in with an API key' }).waitFor();
    // The sign-out message was shown once.
    assert.equal(await page.locator('#sign-in-notice').isVisible(), false);
    // The sign-in prompt is the only way in.
    assert.equal((await apiCall('GET', '/v1/whoami')).status, 200, 'signing out revokes nothing');
  }));

test('unknown Console paths answer 404', TIMEOUT, async () => {
  const response = await fetch(`${BASE_URL}/console/nope`);
  assert.equal(response.status, 404);
});
