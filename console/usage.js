// The Usage page: summary cards and the stacked per-day bar chart of `GET /v1/usage`, and the
// Recent executions table of `GET /invocations/v1/executions` (status filter, Load more).

import {
  $,
  ApiError,
  EXECUTION_STATUSES,
  SignedOut,
  api,
  dateTimeElement,
  el,
  formatDuration as runDuration,
  pagedList,
  showBanner,
  start,
  statusBadge,
} from './console.js';

const SVG = 'http://www.w3.org/2000/svg';
const CHART_HEIGHT = 280;
const MARGIN = { top: 12, right: 8, bottom: 30, left: 40 };
/** Segments from the bottom of a bar up; in-flight runs count toward the total only. */
const SEGMENTS = [
  ['succeeded', 'seg-succeeded'],
  ['failed', 'seg-failed'],
  ['in_flight', 'seg-in-flight'],
];

const count = new Intl.NumberFormat();
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 2 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const dayShort = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const dayLong = new Intl.DateTimeFormat(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
const dayMedium = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });

const utcDay = (date) => new Date(`${date}T00:00:00Z`);
const plural = (n, one, many) => `${count.format(n)} ${n === 1 ? one : many}`;

/** Milliseconds for a person: `843 ms`, `2.35 s`, `4 min 12 s`. */
export function formatDuration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${count.format(Math.round(ms))} ms`;
  if (ms < 60_000) return `${decimal.format(Math.round(ms / 10) / 100)} s`;
  const seconds = Math.round(ms / 1000);
  return `${count.format(Math.floor(seconds / 60))} min ${seconds % 60} s`;
}

let usage = null;

async function load() {
  const refresh = $('refresh');
  refresh.disabled = true;
  $('page').setAttribute('aria-busy', 'true');
  showBanner($('error'), null, $('error-text'));
  try {
    const answer = await api('GET', '/v1/usage');
    if (!answer || !Array.isArray(answer.daily)) throw new Error('the API answered with an unexpected usage summary.');
    usage = answer;
    render();
  } catch (error) {
    if (error instanceof SignedOut) return;
    let message = error instanceof ApiError ? error.message : `Something went wrong: ${error.message}`;
    if (error instanceof ApiError && error.status === 404 && error.code === 'http_error') {
      message = 'Usage is not available from this API yet: GET /v1/usage answered 404 Not Found.';
    }
    showBanner($('error'), message, $('error-text'));
  } finally {
    refresh.disabled = false;
    $('page').removeAttribute('aria-busy');
  }
}

function render() {
  const u = usage;
  const finished = u.succeeded + u.failed;
  const { start: first, end: last } = u.window || {};
  if (first && last) {
    $('window').textContent = `Runs of your flows that started from ${dayMedium.format(utcDay(first))} to ${dayMedium.format(utcDay(last))} (UTC), today included. This shows activity; it is not a bill.`;
  }

  setStat('executions', count.format(u.executions), u.executions,
    `${count.format(u.succeeded)} succeeded · ${count.format(u.failed)} failed · ${count.format(u.in_flight)} in flight`);
  setStat('success-rate', u.success_rate === null ? '—' : percent.format(u.success_rate), u.success_rate,
    finished === 0 ? 'No finished runs yet' : `${count.format(u.succeeded)} of ${plural(finished, 'finished run', 'finished runs')}${failureBreakdown(u.failed_by_status)}`);
  setStat('avg-duration', formatDuration(u.avg_duration_ms), u.avg_duration_ms,
    finished === 0 ? 'No finished runs yet' : `Mean wall-clock time of ${plural(finished, 'finished run', 'finished runs')}`);

  drawChart();
  fillTable();
}

function failureBreakdown(byStatus) {
  if (!byStatus) return '';
  const parts = [
    ['failed', 'failed'],
    ['cancelled', 'cancelled'],
    ['compensation_failed', 'compensation failed'],
  ]
    .filter(([key]) => byStatus[key] > 0)
    .map(([key, label]) => `${count.format(byStatus[key])} ${label}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function setStat(id, text, value, detail) {
  const element = $(id);
  element.textContent = text;
  element.dataset.value = value === null || value === undefined ? '' : String(value);
  $(`${id}-detail`).textContent = detail;
}

function svg(tag, attributes = {}) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

/** A round upper bound and step for the y axis, with about four grid lines. */
function niceScale(max) {
  if (max <= 4) return { top: 4, step: 1 };
  const rough = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * magnitude).find((s) => s >= rough && Number.isInteger(s)) ?? Math.ceil(rough);
  return { top: Math.ceil(max / step) * step, step };
}

function dayLabel(day) {
  const parts = [
    plural(day.total, 'run', 'runs'),
    `${count.format(day.succeeded)} succeeded`,
    `${count.format(day.failed)} failed`,
  ];
  if (day.in_flight > 0) parts.push(`${count.format(day.in_flight)} in flight`);
  return `${dayLong.format(utcDay(day.date))}: ${parts.join(', ')}`;
}

let tooltip = null;
let drawnWidth = 0;

function drawChart() {
  const container = $('chart');
  const daily = usage.daily;
  const width = Math.max(320, container.clientWidth);
  drawnWidth = container.clientWidth;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = CHART_HEIGHT - MARGIN.top - MARGIN.bottom;
  const baseline = MARGIN.top + plotHeight;
  const maxTotal = Math.max(0, ...daily.map((day) => day.total));
  const { top, step } = niceScale(maxTotal);
  const scale = (value) => (plotHeight * value) / top;
  const slot = plotWidth / Math.max(1, daily.length);
  const barWidth = Math.min(28, Math.max(3, slot * 0.62));
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest('.bar');
  const focusedIndex = focused ? Number(focused.dataset.index) : -1;

  const chart = svg('svg', {
    width,
    height: CHART_HEIGHT,
    viewBox: `0 0 ${width} ${CHART_HEIGHT}`,
    role: 'group',
    'aria-label': `Executions per day, ${daily.length} days, oldest first. Use the arrow keys to move between days.`,
    'data-scale-top': top,
  });
  const defs = svg('defs');
  chart.append(defs);

  for (let value = 0; value <= top; value += step) {
    const y = baseline - scale(value);
    chart.append(svg('line', { class: value === 0 ? 'axis-line' : 'grid-line', x1: MARGIN.left, x2: width - MARGIN.right, y1: y, y2: y }));
    const label = svg('text', { class: 'tick-label', x: MARGIN.left - 10, y, 'text-anchor': 'end', 'dominant-baseline': 'middle', 'aria-hidden': 'true' });
    label.textContent = count.format(value);
    chart.append(label);
  }

  // Date labels under every few bars, always including today's.
  const every = Math.max(1, Math.ceil(64 / slot));
  daily.forEach((day, i) => {
    if ((daily.length - 1 - i) % every !== 0) return;
    const label = svg('text', { class: 'tick-label', x: MARGIN.left + (i + 0.5) * slot, y: baseline + 18, 'text-anchor': 'middle', 'aria-hidden': 'true' });
    label.textContent = dayShort.format(utcDay(day.date));
    chart.append(label);
  });

  const bars = svg('g', { class: 'bars' });
  daily.forEach((day, i) => {
    const x = MARGIN.left + i * slot + (slot - barWidth) / 2;
    const bar = svg('g', {
      class: 'bar',
      role: 'img',
      tabindex: i === (focusedIndex >= 0 ? focusedIndex : daily.length - 1) ? 0 : -1,
      'aria-label': dayLabel(day),
      'data-index': i,
      'data-date': day.date,
      'data-total': day.total,
    });
    bar.append(svg('rect', { class: 'bar-hit', x: MARGIN.left + i * slot + 1, y: MARGIN.top, width: Math.max(1, slot - 2), height: plotHeight }));
    const total = scale(day.total);
    const clipId = `bar-clip-${i}`;
    defs.append(svg('clipPath', { id: clipId }));
    defs.lastChild.append(svg('rect', { x, y: baseline - total, width: barWidth, height: total + 4, rx: 3 }));
    const stack = svg('g', { 'clip-path': `url(#${clipId})` });
    let y = baseline;
    for (const [field, className] of SEGMENTS) {
      // In flight is what the total holds beyond the finished runs.
      const value = field === 'in_flight' ? Math.max(0, day.total - day.succeeded - day.failed) : day[field];
      const height = scale(value);
      y -= height;
      stack.append(svg('rect', { class: className, x, y, width: barWidth, height, 'data-count': value }));
    }
    bar.append(stack);
    bars.append(bar);
  });
  chart.append(bars);

  tooltip = document.createElement('div');
  tooltip.className = 'tooltip';
  tooltip.hidden = true;
  tooltip.setAttribute('aria-hidden', 'true');

  const nodes = [chart, tooltip];
  if (maxTotal === 0) {
    const empty = document.createElement('p');
    empty.className = 'chart-empty';
    empty.append(document.createElement('span'));
    empty.firstChild.textContent = 'No runs in the last 30 days.';
    nodes.push(empty);
  }
  container.replaceChildren(...nodes);
  wireChart(chart, { slot, baseline, scale, width });
  if (focusedIndex >= 0) chart.querySelectorAll('.bar')[focusedIndex]?.focus();
}

function wireChart(chart, geometry) {
  const bars = [...chart.querySelectorAll('.bar')];
  let active = -1;

  const show = (i) => {
    if (active >= 0) bars[active].classList.remove('is-active');
    active = i;
    bars[i].classList.add('is-active');
    showTooltip(usage.daily[i], i, geometry);
  };
  const hide = () => {
    if (active >= 0) bars[active].classList.remove('is-active');
    active = -1;
    tooltip.hidden = true;
  };

  bars.forEach((bar, i) => {
    bar.addEventListener('pointerenter', () => show(i));
    bar.addEventListener('focus', () => show(i));
    bar.addEventListener('blur', hide);
    bar.addEventListener('keydown', (event) => {
      const moves = { ArrowLeft: i - 1, ArrowRight: i + 1, Home: 0, End: bars.length - 1 };
      if (event.key === 'Escape') return hide();
      if (!(event.key in moves)) return;
      event.preventDefault();
      const next = Math.min(bars.length - 1, Math.max(0, moves[event.key]));
      bar.setAttribute('tabindex', '-1');
      bars[next].setAttribute('tabindex', '0');
      bars[next].focus();
    });
  });
  chart.addEventListener('pointerleave', () => {
    const focused = bars.indexOf(document.activeElement);
    if (focused >= 0) show(focused);
    else hide();
  });
}

function showTooltip(day, i, { slot, width }) {
  const row = (label, value, swatch) => {
    const line = document.createElement('div');
    line.className = 'tooltip-row';
    if (swatch) {
      const mark = document.createElement('span');
      mark.className = `swatch swatch-${swatch}`;
      line.append(mark);
    }
    const name = document.createElement('span');
    name.textContent = label;
    const number = document.createElement('span');
    number.textContent = count.format(value);
    line.append(name, number);
    return line;
  };
  const date = document.createElement('div');
  date.className = 'tooltip-date';
  date.textContent = dayLong.format(utcDay(day.date));
  const total = row('Total', day.total);
  total.classList.add('tooltip-total');
  const lines = [date, total, row('Succeeded', day.succeeded, 'succeeded'), row('Failed', day.failed, 'failed')];
  if (day.in_flight > 0) lines.push(row('In flight', day.in_flight, 'in-flight'));
  tooltip.replaceChildren(...lines);
  tooltip.hidden = false;

  // Beside the bar (right of it, or left near the right edge), so it never covers it.
  const center = MARGIN.left + (i + 0.5) * slot;
  const tipWidth = tooltip.offsetWidth;
  let left = center + slot / 2 + 6;
  if (left + tipWidth > width) left = center - slot / 2 - 6 - tipWidth;
  tooltip.style.left = `${Math.max(0, left)}px`;
  tooltip.style.top = `${MARGIN.top}px`;
}

function fillTable() {
  const rows = usage.daily.map((day) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = dayMedium.format(utcDay(day.date));
    tr.append(th);
    for (const value of [day.total, day.succeeded, day.failed, day.in_flight]) {
      const td = document.createElement('td');
      td.textContent = count.format(value);
      tr.append(td);
    }
    return tr;
  });
  $('chart-table').tBodies[0].replaceChildren(...rows);
}

new ResizeObserver(() => {
  if (usage && $('chart').clientWidth !== drawnWidth) drawChart();
}).observe($('chart'));

// Recent executions

const statusFilter = $('runs-status');
for (const [value, label] of EXECUTION_STATUSES) statusFilter.append(el('option', { value }, label));

/** Flow names by graph id, from the first page of `GET /v1/flows` (ids stand in for the rest). */
let flowNames = new Map();

async function loadFlowNames() {
  try {
    const { flows } = await api('GET', '/v1/flows?limit=100');
    flowNames = new Map(flows.map((flow) => [flow.graph_id, flow.name]));
  } catch (error) {
    if (error instanceof SignedOut) throw error;
    // Names are a nicety: the ids are shown instead.
  }
}

function runRow(run) {
  const name = flowNames.get(run.graph_id);
  const flow = name
    ? el('span', { className: 'flow-name', title: run.graph_id }, name)
    : el('code', { className: 'id-tail', title: run.graph_id }, `…${run.graph_id.slice(-12)}`);
  return el(
    'tr',
    { 'data-execution-id': run.execution_id, 'data-status': run.status },
    el('td', {}, el('a', { className: 'mono-link', href: `executions/${encodeURIComponent(run.execution_id)}` }, run.execution_id)),
    el('td', {}, statusBadge(run.status)),
    el('td', {}, flow),
    el('td', { className: 'nowrap' }, dateTimeElement(run.started_at)),
    el('td', { className: 'nowrap num' }, run.duration_ms === null ? el('span', { className: 'muted', title: 'Still in flight' }, '—') : runDuration(run.duration_ms)),
  );
}

const runs = pagedList({
  path: () => (statusFilter.value ? `/invocations/v1/executions?status=${encodeURIComponent(statusFilter.value)}` : '/invocations/v1/executions'),
  field: 'executions',
  limit: 20,
  tbody: $('runs'),
  row: runRow,
  more: $('runs-more'),
  loading: $('runs-loading'),
  empty: $('runs-empty'),
  error: $('runs-error'),
  errorText: $('runs-error-text'),
});

function loadRuns() {
  const label = EXECUTION_STATUSES.find(([value]) => value === statusFilter.value)?.[1];
  $('runs-empty-text').textContent = label
    ? `No ${label.toLowerCase()} executions.`
    : 'Runs appear here when your flows are invoked.';
  return runs.reload();
}

statusFilter.addEventListener('change', loadRuns);
$('runs-retry').addEventListener('click', loadRuns);

async function loadAll() {
  await Promise.all([load(), loadFlowNames().then(loadRuns, () => {})]);
}

$('refresh').addEventListener('click', loadAll);
$('retry').addEventListener('click', load);

start(loadAll);
