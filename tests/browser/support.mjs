// Shared by the browser tests: the server under test, Chromium, API calls from node, and
// small waiting helpers (playwright-core has no `expect`).

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { chromium } from 'playwright-core';

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests through scripts/browser-test`);
  return value;
}

export const BASE_URL = required('AXIOM_BASE_URL').replace(/\/$/, '');
export const API_KEY = required('AXIOM_API_KEY');
export const ARTIFACTS = process.env.BROWSER_TEST_ARTIFACTS || path.join(os.tmpdir(), 'axiom-browser-test');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export const KEY_PATTERN = /^[0-9a-f]{64}$/;

/**
 * Debian's Chromium, headless, with a fresh profile (Playwright passes the directory as
 * `--user-data-dir`) that is deleted on close. Nothing is ever downloaded.
 */
export async function launch() {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'axiom-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
    locale: 'en-US',
    timezoneId: 'UTC',
    timeout: 60_000,
  });
  context.setDefaultTimeout(10_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE_URL });
  return {
    context,
    /** A new tab (its own sessionStorage) that records the page's errors. */
    async page() {
      const page = await context.newPage();
      page.problems = [];
      page.on('pageerror', (error) => page.problems.push(`uncaught: ${error.message}`));
      page.on('console', (message) => {
        // Chromium logs every 4xx/5xx fetch as "Failed to load resource"; the tests cause some.
        if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
          page.problems.push(`console: ${message.text()}`);
        }
      });
      return page;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** No uncaught errors and no console errors (a CSP violation is one) on the page. */
export function assertNoProblems(page) {
  assert.deepEqual(page.problems, [], 'the page logged errors');
}

/** Calls the API from node: `{status, body}` with the body parsed when it is JSON. */
export async function apiCall(method, apiPath, { key = API_KEY, body, userAgent } = {}) {
  const headers = key === null ? {} : { authorization: `Bearer ${key}` };
  if (userAgent) headers['user-agent'] = userAgent;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(BASE_URL + apiPath, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: response.status, body: json };
}

/** Mints a key through the API (`extra` may hold `expires_at`). */
export async function createKey(name, extra = {}) {
  const { status, body } = await apiCall('POST', '/v1/api-keys', { body: { name, ...extra } });
  assert.equal(status, 201, JSON.stringify(body));
  return body;
}

/** Saves a flow of `steps` through the API and returns its `graph_id`. */
export async function saveFlow(name, steps) {
  const { status, body } = await apiCall('POST', '/v1/flows', { body: { name, definition: { steps } } });
  assert.equal(status, 201, JSON.stringify(body));
  return body.graph_id;
}

/** Invokes a flow through the API and returns the execution as answered. */
export async function invoke(graphId, input = {}, { wait = true } = {}) {
  const { status, body } = await apiCall('POST', '/invocations/v1/flows/invoke', { body: { graph_id: graphId, input, wait } });
  assert.ok(status === 200 || status === 202, `${status} ${JSON.stringify(body)}`);
  return body;
}

/** Every item of a paged list (PRODUCT.md §13), following `next_cursor`, with `limit`. */
export async function listAll(apiPath, field, { limit = 100 } = {}) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < 100; page += 1) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set('cursor', cursor);
    const { status, body } = await apiCall('GET', `${apiPath}${apiPath.includes('?') ? '&' : '?'}${query}`);
    assert.equal(status, 200, JSON.stringify(body));
    items.push(...body[field]);
    cursor = body.next_cursor;
    if (cursor === null) return items;
  }
  throw new Error(`${apiPath}: more than 100 pages`);
}

/** Runs `body` with a fresh tab of `browser`, closed afterwards; the tab must log no errors. */
export async function withPage(browser, body) {
  const page = await browser.page();
  try {
    await body(page);
    assertNoProblems(page);
  } finally {
    await page.close();
  }
}

/** Clicks **Load more** under a list until it is gone; returns how many clicks it took. */
export async function loadEverything(page, buttonId, rows) {
  const button = page.locator(`#${buttonId}`);
  let clicks = 0;
  for (;;) {
    await page.locator(`[aria-busy]`).waitFor({ state: 'detached' }).catch(() => {});
    if (!(await button.isVisible())) return clicks;
    const before = await rows.count();
    await button.click();
    clicks += 1;
    await eventually(async () => (await rows.count()) > before || !(await button.isVisible()), { message: `${buttonId} loads more` });
  }
}

/** `Nov 26, 2026, 8:00:46 PM`, as the Console writes timestamps with seconds (UTC in the tests). */
export const dateTime = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' });
/** `Nov 26, 2026`, as the Console writes dates. */
export const dateOnly = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });

/** Opens a Console page and signs in with `key` through the prompt. */
export async function signIn(page, pageName, key = API_KEY) {
  await page.goto(`${BASE_URL}/console/${pageName}`);
  await page.getByRole('heading', { name: 'Sign in with an API key' }).waitFor();
  await page.getByLabel('API key', { exact: true }).fill(key);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Waits until `check()` returns a truthy value (or stops throwing) and returns it. */
export async function eventually(check, { timeout = 10_000, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = new Error(`${message}: got ${JSON.stringify(value)}`);
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The id of the element that has focus in the page. */
export function focusedId(page) {
  return page.evaluate(() => document.activeElement && document.activeElement.id);
}

/** Saves a screenshot under the artifacts directory and returns its path. */
export async function screenshot(target, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await target.screenshot({ path: file });
  return file;
}
