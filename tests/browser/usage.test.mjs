// The Usage page in Chromium: the summary cards and the stacked per-day chart, first on
// summaries of PRODUCT.md §7's shape served by an intercepted `GET /v1/usage`, then against the
// real route after running flows through the API.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { BASE_URL, apiCall, assertNoProblems, eventually, launch, screenshot, signIn } from './support.mjs';

const TIMEOUT = { timeout: 120_000 };
const count = new Intl.NumberFormat('en-US');
const percent = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 2 });
const longDate = new Intl.DateTimeFormat('en-US', { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function withPage(body) {
  const page = await browser.page();
  try {
    await body(page);
    assertNoProblems(page);
  } finally {
    await page.close();
  }
}

const isoDay = (date) => date.toISOString().slice(0, 10);

/** A 30-day summary in the API's shape, with today last; `seed` varies the numbers. */
function sampleUsage({ empty = false } = {}) {
  const today = new Date();
  today.setUTCHours(0, 0, 0, 0);
  const daily = [];
  for (let i = 0; i < 30; i += 1) {
    const date = new Date(today.getTime() - (29 - i) * 86_400_000);
    const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6;
    const base = empty ? 0 : Math.round((weekend ? 3 : 9) + 5 * Math.sin(i / 3) + (i % 4));
    const failed = empty ? 0 : (i * 7) % 5 === 0 ? 3 : (i % 3 === 0 ? 1 : 0);
    const inFlight = empty || i < 28 ? 0 : 29 - i + 2;
    const succeeded = Math.max(0, base);
    daily.push({ date: isoDay(date), total: succeeded + failed + inFlight, succeeded, failed, in_flight: inFlight });
  }
  const sum = (field) => daily.reduce((total, day) => total + day[field], 0);
  const succeeded = sum('succeeded');
  const failed = sum('failed');
  const finished = succeeded + failed;
  return {
    window: { start: daily[0].date, end: daily[29].date, days: 30 },
    executions: sum('total'),
    succeeded,
    failed,
    in_flight: sum('in_flight'),
    success_rate: finished ? Math.round((succeeded / finished) * 10_000) / 10_000 : null,
    avg_duration_ms: finished ? 843.2 : null,
    failed_by_status: { failed: failed - 3 > 0 ? failed - 3 : failed, cancelled: failed - 3 > 0 ? 2 : 0, compensation_failed: failed - 3 > 0 ? 1 : 0 },
    daily,
  };
}

/** Serves `answer` (a summary, or `{status, body}`) for the page's `GET /v1/usage`. */
async function serveUsage(page, answer) {
  await page.route('**/v1/usage', (route) => {
    const { status, body } = 'status' in answer ? answer : { status: 200, body: answer };
    return route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
  });
}

async function openUsage(page) {
  await signIn(page, 'usage');
  await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
}

/** The cards show the summary's numbers. */
async function checkCards(page, usage, { avgDuration }) {
  await eventually(async () => (await page.locator('#executions').textContent()) === count.format(usage.executions), { message: 'executions card' });
  assert.equal(await page.locator('#executions').getAttribute('data-value'), String(usage.executions));
  assert.equal(await page.locator('#success-rate').textContent(), usage.success_rate === null ? '—' : percent.format(usage.success_rate));
  assert.equal(await page.locator('#success-rate').getAttribute('data-value'), usage.success_rate === null ? '' : String(usage.success_rate));
  assert.equal(await page.locator('#avg-duration').textContent(), avgDuration);
  assert.equal(await page.locator('#avg-duration').getAttribute('data-value'), usage.avg_duration_ms === null ? '' : String(usage.avg_duration_ms));
}

/**
 * One bar per day, in order, whose height is proportional to the day's total and whose
 * succeeded, failed and in-flight segments are proportional to theirs.
 */
async function checkBars(page, usage) {
  await page.locator('#chart .bar').first().waitFor();
  const bars = await page.locator('#chart .bar').evaluateAll((groups) => groups.map((g) => ({
    date: g.dataset.date,
    total: Number(g.dataset.total),
    segments: Object.fromEntries([...g.querySelectorAll('rect[data-count]')].map((rect) => [
      rect.getAttribute('class'),
      { count: Number(rect.dataset.count), height: rect.getBBox().height, fill: getComputedStyle(rect).fill },
    ])),
  })));
  assert.equal(bars.length, usage.daily.length);
  assert.equal(bars.length, 30);
  const heightOf = (bar) => Object.values(bar.segments).reduce((total, s) => total + s.height, 0);
  const tallest = usage.daily.reduce((best, day, i) => (day.total > usage.daily[best].total ? i : best), 0);
  const maxTotal = usage.daily[tallest].total;
  const perRun = maxTotal ? heightOf(bars[tallest]) / maxTotal : 0;
  if (maxTotal) assert.ok(heightOf(bars[tallest]) > 100, 'the tallest bar uses most of the chart');
  usage.daily.forEach((day, i) => {
    const bar = bars[i];
    assert.equal(bar.date, day.date);
    assert.equal(bar.total, day.total);
    const close = (actual, expected, what) => assert.ok(Math.abs(actual - expected) < 0.01, `${day.date} ${what}: ${actual} px, expected ${expected}`);
    close(heightOf(bar), perRun * day.total, 'bar height');
    close(bar.segments['seg-succeeded'].height, perRun * day.succeeded, 'succeeded segment');
    close(bar.segments['seg-failed'].height, perRun * day.failed, 'failed segment');
    close(bar.segments['seg-in-flight'].height, perRun * day.in_flight, 'in-flight segment');
  });
  const fills = new Set(Object.values(bars[0].segments).map((s) => s.fill));
  assert.equal(fills.size, 3, 'succeeded, failed and in flight have distinct colours');
}

/** The tooltip's rows, such as `[['Total', '12'], ['Succeeded', '10'], ...]`. */
async function tooltip(page) {
  const box = page.locator('#chart .tooltip');
  await box.waitFor();
  return {
    date: await box.locator('.tooltip-date').textContent(),
    rows: await box.locator('.tooltip-row').evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('span:not(.swatch)')].map((s) => s.textContent))),
  };
}

/** How the Avg duration card writes milliseconds. */
function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }).format(Math.round(ms / 10) / 100)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

function expectedTooltip(day) {
  const rows = [['Total', count.format(day.total)], ['Succeeded', count.format(day.succeeded)], ['Failed', count.format(day.failed)]];
  if (day.in_flight > 0) rows.push(['In flight', count.format(day.in_flight)]);
  return { date: longDate.format(new Date(`${day.date}T00:00:00Z`)), rows };
}

test('shows the cards and a stacked bar per day of a usage summary', TIMEOUT, () =>
  withPage(async (page) => {
    const usage = sampleUsage();
    await serveUsage(page, usage);
    await openUsage(page);
    await checkCards(page, usage, { avgDuration: '843 ms' });
    await checkBars(page, usage);
    const detail = await page.locator('#success-rate-detail').textContent();
    assert.match(detail, new RegExp(`^${count.format(usage.succeeded)} of ${count.format(usage.succeeded + usage.failed)} finished runs`));

    // Hovering a bar shows its date, total and split.
    const bars = page.locator('#chart .bar');
    await bars.nth(20).hover();
    assert.deepEqual(await tooltip(page), expectedTooltip(usage.daily[20]));
    await bars.nth(29).hover();
    assert.deepEqual(await tooltip(page), expectedTooltip(usage.daily[29]));
    assert.deepEqual((await tooltip(page)).rows.at(-1)[0], 'In flight');
    await page.mouse.move(5, 5);
    await page.locator('#chart .tooltip').waitFor({ state: 'hidden' });

    // So does the keyboard: one tab stop (today), arrows move between days.
    await page.locator('#refresh').focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.date), usage.daily[29].date);
    assert.deepEqual(await tooltip(page), expectedTooltip(usage.daily[29]));
    await page.keyboard.press('ArrowLeft');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.date), usage.daily[28].date);
    assert.deepEqual(await tooltip(page), expectedTooltip(usage.daily[28]));
    await page.keyboard.press('Home');
    assert.deepEqual(await tooltip(page), expectedTooltip(usage.daily[0]));
    await page.keyboard.press('Escape');
    await page.locator('#chart .tooltip').waitFor({ state: 'hidden' });

    // A text alternative: each bar is labelled, and a visually hidden table has every day.
    const label = await bars.nth(29).getAttribute('aria-label');
    assert.ok(label.startsWith(longDate.format(new Date(`${usage.daily[29].date}T00:00:00Z`))), label);
    assert.match(label, new RegExp(`${usage.daily[29].total} runs, ${usage.daily[29].succeeded} succeeded, ${usage.daily[29].failed} failed, ${usage.daily[29].in_flight} in flight`));
    const table = await page.locator('#chart-table tbody tr').evaluateAll((rows) => rows.map((row) => [...row.cells].map((c) => c.textContent)));
    assert.equal(table.length, 30);
    const first = usage.daily[0];
    assert.deepEqual(table[0].slice(1), [first.total, first.succeeded, first.failed, first.in_flight].map((n) => count.format(n)));

    // A narrower window redraws the chart to fit.
    await page.setViewportSize({ width: 1000, height: 800 });
    await eventually(async () => Number(await page.locator('#chart svg').getAttribute('width')) < 1000, { message: 'chart resized' });
    await checkBars(page, usage);
    await page.setViewportSize({ width: 1280, height: 800 });
    await eventually(async () => Number(await page.locator('#chart svg').getAttribute('width')) > 1000, { message: 'chart resized back' });

    await page.evaluate(() => document.activeElement.blur());
    await bars.nth(usage.daily.findLastIndex((day, i) => i <= 22 && day.failed > 0)).hover();
    await screenshot(page, 'usage');
  }));

test('shows — for the success rate and duration while nothing has finished', TIMEOUT, () =>
  withPage(async (page) => {
    const usage = sampleUsage({ empty: true });
    await serveUsage(page, usage);
    await openUsage(page);
    await checkCards(page, usage, { avgDuration: '—' });
    await checkBars(page, usage);
    await page.getByText('No runs in the last 30 days.').waitFor();
    await page.locator('#chart .bar').nth(3).hover();
    assert.deepEqual(await tooltip(page), expectedTooltip(usage.daily[3]));
    assert.equal(await page.locator('#success-rate-detail').textContent(), 'No finished runs yet');
    await page.mouse.move(5, 5);
    await screenshot(page, 'usage-empty');
  }));

test('shows the API\'s errors on the Usage page', TIMEOUT, () =>
  withPage(async (page) => {
    let answer = { status: 500, body: { error: { code: 'internal_error', message: 'internal server error' } } };
    await page.route('**/v1/usage', (route) =>
      route.fulfill({ status: answer.status, contentType: 'application/json', body: JSON.stringify(answer.body) }));
    await openUsage(page);
    const alert = page.locator('#error');
    await alert.getByText('internal server error', { exact: true }).waitFor();

    answer = { status: 404, body: { message: 'Not Found' } };
    await page.getByRole('button', { name: 'Try again' }).click();
    await alert.getByText('GET /v1/usage answered 404 Not Found').waitFor();

    answer = { status: 200, body: sampleUsage() };
    await page.getByRole('button', { name: 'Refresh' }).click();
    await alert.waitFor({ state: 'hidden' });
    await checkCards(page, answer.body, { avgDuration: '843 ms' });
  }));

/** Saves a flow and runs it to the end through the API, as a user's code would. */
async function runFlow(name, steps, expected) {
  const saved = await apiCall('POST', '/v1/flows', { body: { name, definition: { steps } } });
  assert.equal(saved.status, 201, JSON.stringify(saved.body));
  const run = await apiCall('POST', '/invocations/v1/flows/invoke', { body: { graph_id: saved.body.graph_id, input: {}, wait: true } });
  assert.equal(run.status, 200, JSON.stringify(run.body));
  assert.equal(run.body.status, expected);
  return run.body;
}

test('matches GET /v1/usage after flows ran through the API', TIMEOUT, () =>
  withPage(async (page) => {
    await runFlow('browser-ok', [{ id: 'a', op: 'set', value: { x: 1 } }], 'succeeded');
    await runFlow('browser-ok-2', [{ id: 'a', op: 'set', value: { x: 2 } }, { id: 'b', op: 'sleep', ms: 20 }], 'succeeded');
    await runFlow('browser-fail', [{ id: 'a', op: 'set', value: { x: 1 } }, { id: 'boom', op: 'fail', message: 'card declined' }], 'failed');

    const { status, body: usage } = await apiCall('GET', '/v1/usage');
    assert.equal(status, 200);
    const today = usage.daily.at(-1);
    assert.equal(today.date, isoDay(new Date()));
    assert.ok(today.succeeded >= 2 && today.failed >= 1, JSON.stringify(today));

    assert.notEqual(usage.avg_duration_ms, null);

    await openUsage(page);
    await checkCards(page, usage, { avgDuration: duration(usage.avg_duration_ms) });
    await checkBars(page, usage);
    await page.locator('#chart .bar').nth(29).hover();
    assert.deepEqual(await tooltip(page), expectedTooltip(today));
    await screenshot(page, 'usage-live');
  }));

test('the Usage page needs a key like the other', TIMEOUT, () =>
  withPage(async (page) => {
    await page.goto(`${BASE_URL}/console/usage`);
    await page.getByRole('heading', { name: 'Sign in with an API key' }).waitFor();
    assert.equal(await page.locator('#executions').isVisible(), false);
  }));
