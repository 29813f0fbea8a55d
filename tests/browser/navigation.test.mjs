// Moving between every Console page in one session (PRODUCT.md §9, §17): the same top bar and
// navigation everywhere, including the run view (one level deeper) and the device page.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { BASE_URL, invoke, launch, saveFlow, signIn, withPage as withTab } from './support.mjs';

const TIMEOUT = { timeout: 120_000 };

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const PAGES = [
  ['API Keys', 'api-keys'],
  ['Usage', 'usage'],
  ['Flows', 'flows'],
  ['Activity', 'activity'],
];

test('every page has the same navigation, with the current page marked', TIMEOUT, () =>
  withTab(browser, async (page) => {
    await signIn(page, 'api-keys');
    const nav = page.getByRole('navigation', { name: 'Console' });
    const current = () => nav.locator('[aria-current="page"]').allTextContents();

    for (const [label, slug] of [...PAGES.slice(1), PAGES[0]]) {
      await nav.getByRole('link', { name: label, exact: true }).click();
      await page.waitForURL(`${BASE_URL}/console/${slug}`);
      await page.getByRole('heading', { name: label, level: 1 }).waitFor();
      assert.deepEqual(await current(), [label]);
      assert.deepEqual(await nav.getByRole('link').allTextContents(), PAGES.map(([name]) => name));
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
    }

    // The run view is one level deeper; its links still lead to the pages.
    const graphId = await saveFlow('nav-flow', [{ id: 'a', op: 'set', value: { a: 1 } }]);
    const run = await invoke(graphId);
    await page.goto(`${BASE_URL}/console/executions/${run.execution_id}`);
    await page.getByRole('heading', { name: /^Execution/, level: 1 }).waitFor();
    assert.deepEqual(await current(), []);
    assert.equal(await page.locator('#account-email').textContent(), 'demo@axiom.local', 'the same session');
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Usage' }).click();
    await page.waitForURL(`${BASE_URL}/console/usage`);
    await page.goBack();
    await nav.getByRole('link', { name: 'Flows', exact: true }).click();
    await page.waitForURL(`${BASE_URL}/console/flows`);

    await page.goto(`${BASE_URL}/console/device`);
    await page.getByRole('heading', { name: 'Sign in the Axiom CLI' }).waitFor();
    assert.deepEqual(await current(), []);
    await nav.getByRole('link', { name: 'Activity', exact: true }).click();
    await page.getByRole('heading', { name: 'Activity', level: 1 }).waitFor();
  }));
