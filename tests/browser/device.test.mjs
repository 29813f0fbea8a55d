// The device sign-in page (/console/device, PRODUCT.md §17) in Chromium: first its controls and
// messages against answers served in the browser, then the whole device flow against
// axiom-local: a grant from node, approval in the Console, the key from the token route.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  BASE_URL,
  KEY_PATTERN,
  apiCall,
  focusedId,
  launch,
  listAll,
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

/** Starts a device grant as `axiom login` does: public, no key. */
async function startGrant() {
  return apiCall('POST', '/v1/auth/device', { key: null, body: {} });
}

/**
 * True once the device routes are in the API: asked once (a grant counts toward the per-IP
 * limit), a 404 without the API's error shape being the router's "no such route".
 */
let probe;
function deviceRoutesExist() {
  probe ??= startGrant().then(({ status, body }) => !(status === 404 && !(body && body.error)));
  return probe;
}

test('the device page approves and denies a code, with clear messages', TIMEOUT, () =>
  withPage(async (page) => {
    const requests = [];
    let answer = { status: 204 };
    await page.route('**/v1/auth/device/approve', async (route) => {
      requests.push(JSON.parse(route.request().postData()));
      await route.fulfill(answer.status === 204
        ? { status: 204, body: '' }
        : { status: answer.status, contentType: 'application/json', body: JSON.stringify(answer.body) });
    });

    // The link's code is filled in; the page asks for a key first, like every Console page.
    await page.goto(`${BASE_URL}/console/device?code=bcdf-ghjk`);
    await page.getByText('A device is asking to sign in to Axiom with your account.').waitFor();
    await signIn(page, 'device?code=bcdf-ghjk');
    await page.getByRole('heading', { name: 'Sign in the Axiom CLI' }).waitFor();
    await page.getByText('demo@axiom.local (tenant demo)').waitFor();
    const code = page.getByLabel('Code shown by the CLI');
    assert.equal(await code.inputValue(), 'BCDF-GHJK');
    assert.equal(await focusedId(page), 'user-code', 'focus starts on the code, not on Approve');
    await screenshot(page, 'device');

    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Approved BCDF-GHJK. The CLI is signed in within a few seconds').waitFor();
    assert.deepEqual(requests.at(-1), { user_code: 'BCDF-GHJK', approve: true });
    assert.equal(await code.isVisible(), false);
    await screenshot(page, 'device-approved');

    // Another code, typed by hand: checked before anything is sent.
    await page.getByRole('button', { name: 'Enter another code' }).click();
    assert.equal(await focusedId(page), 'user-code');
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.getByText('Enter the code shown by the CLI.').waitFor();
    await code.fill('abc');
    await code.press('Enter');
    await page.getByText('A code is 8 letters, such as BCDF-GHJK.').waitFor();
    assert.equal(requests.length, 1);
    await code.fill('wxyz bcdf');
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.getByText('Denied WXYZ-BCDF. The device gets no key').waitFor();
    assert.deepEqual(requests.at(-1), { user_code: 'WXYZ-BCDF', approve: false });

    // Unknown, expired or decided: the API's 404, in words; the code can be corrected.
    answer = { status: 404, body: { error: { code: 'not_found', message: 'no pending sign-in with this code' } } };
    await page.getByRole('button', { name: 'Enter another code' }).click();
    await code.fill('QRST-VWXZ');
    await code.press('Enter');
    await page.getByText('The code QRST-VWXZ is not waiting for approval').waitFor();
    assert.equal(await code.isVisible(), true);
    assert.equal(await focusedId(page), 'user-code');
    await screenshot(page, 'device-unknown-code');

    answer = { status: 500, body: { error: { code: 'internal_error', message: 'internal server error' } } };
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('internal server error', { exact: true }).waitFor();
  }));

test('signs in a device: approved in the Console, the token route hands out a cli key once', TIMEOUT, async (t) => {
  if (!(await deviceRoutesExist())) {
    t.skip('POST /v1/auth/device is not in this API yet');
    return;
  }
  await withPage(async (page) => {
    const { status, body: grant } = await startGrant();
    assert.equal(status, 200, JSON.stringify(grant));
    assert.match(grant.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    const link = new URL(grant.verification_uri_complete);
    assert.equal(link.pathname, '/console/device');
    assert.equal(link.searchParams.get('code'), grant.user_code);

    const poll = () => apiCall('POST', '/v1/auth/device/token', { key: null, body: { device_code: grant.device_code } });
    const pending = await poll();
    assert.equal(pending.status, 400);
    assert.equal(pending.body.error.code, 'authorization_pending');

    // The person follows the link (on this server) and approves.
    await signIn(page, `device${link.search}`);
    const code = page.getByLabel('Code shown by the CLI');
    assert.equal(await code.inputValue(), grant.user_code);
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(`Approved ${grant.user_code}.`).waitFor();

    // The CLI's next poll (after the interval) gets its key.
    await new Promise((resolve) => setTimeout(resolve, grant.interval * 1000 + 200));
    const token = await poll();
    assert.equal(token.status, 200, JSON.stringify(token.body));
    assert.match(token.body.key, KEY_PATTERN);
    assert.equal(token.body.name, 'cli');
    assert.equal(token.body.email, 'demo@axiom.local');
    assert.equal((await apiCall('GET', '/v1/whoami', { key: token.body.key })).status, 200);
    assert.ok((await listAll('/v1/api-keys', 'keys')).some((key) => key.id === token.body.key_id && key.name === 'cli'));

    // The same code again: already decided.
    await page.getByRole('button', { name: 'Enter another code' }).click();
    await code.fill(grant.user_code);
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(`The code ${grant.user_code} is not waiting for approval`).waitFor();
  });
});

test('denying a device in the Console refuses it the key', TIMEOUT, async (t) => {
  if (!(await deviceRoutesExist())) {
    t.skip('POST /v1/auth/device is not in this API yet');
    return;
  }
  await withPage(async (page) => {
    const { body: grant } = await startGrant();
    await signIn(page, `device?code=${encodeURIComponent(grant.user_code.toLowerCase())}`);
    assert.equal(await page.getByLabel('Code shown by the CLI').inputValue(), grant.user_code);
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.getByText(`Denied ${grant.user_code}.`).waitFor();
    const token = await apiCall('POST', '/v1/auth/device/token', { key: null, body: { device_code: grant.device_code } });
    assert.equal(token.status, 400);
    assert.equal(token.body.error.code, 'access_denied');
    const events = (await apiCall('GET', '/v1/audit-events?limit=5')).body.events;
    assert.ok(events.some((event) => event.action === 'device.denied'), JSON.stringify(events));
  });
});
