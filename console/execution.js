// One run, for debugging (`/console/executions/<id>`): status, each step with its times, input,
// output or error, and Cancel / Resume where the run allows them (PRODUCT.md §6, §17).

import {
  $,
  ApiError,
  SignedOut,
  api,
  dateTimeElement,
  el,
  formatDuration,
  openDialog,
  showBanner,
  showFieldError,
  start,
  statusBadge,
} from './console.js';

const CANCELLABLE = new Set(['queued', 'running', 'paused']);
const RESUMABLE = new Set(['paused']);
/** Statuses that change without anyone acting: the page polls while a run has one. */
const MOVING = new Set(['queued', 'running', 'compensating']);
const POLL_MS = 2000;

const executionId = decodeURIComponent(location.pathname.split('/').pop() || '');
const path = `/invocations/v1/executions/${encodeURIComponent(executionId)}`;

let run = null;
let timer = null;
/** Names of the run's flow and key, looked up once (best effort: ids stand alone otherwise). */
let names = null;

async function loadNames() {
  names = new Map();
  const lists = [['/v1/api-keys?limit=100', 'keys', 'id'], ['/v1/flows?limit=100', 'flows', 'graph_id']];
  await Promise.all(lists.map(async ([listPath, field, id]) => {
    try {
      for (const item of (await api('GET', listPath))[field] || []) names.set(item[id], item.name);
    } catch (error) {
      if (error instanceof SignedOut) throw error;
    }
  }));
}

function showName(element, id) {
  const name = id ? names?.get(id) : undefined;
  element.textContent = name || '';
  element.hidden = !name;
}

$('execution-id').textContent = executionId;
document.title = `Execution ${executionId} · Axiom Console`;

function report(error, banner = $('error'), text = $('error-text')) {
  if (error instanceof SignedOut) return;
  showBanner(banner, error instanceof ApiError ? error.message : `Something went wrong: ${error.message}`, text);
}

async function load() {
  clearTimeout(timer);
  const refresh = $('refresh');
  refresh.disabled = true;
  $('page').setAttribute('aria-busy', 'true');
  try {
    run = await api('GET', path);
    showBanner($('error'), null, $('error-text'));
    render();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      run = null;
      $('execution').hidden = true;
      $('cancel').hidden = true;
      $('resume').hidden = true;
      $('status').replaceChildren();
      $('not-found').hidden = false;
    } else {
      report(error);
    }
  } finally {
    $('loading').hidden = true;
    refresh.disabled = false;
    $('page').removeAttribute('aria-busy');
  }
  if (run && MOVING.has(run.status)) timer = setTimeout(load, POLL_MS);
}

const json = (value) => JSON.stringify(value, null, 2);
const when = (value) => (value ? dateTimeElement(value) : el('span', { className: 'muted' }, '—'));

function took(step) {
  if (!step.started_at || !step.ended_at) return el('span', { className: 'muted' }, '—');
  const ms = new Date(step.ended_at) - new Date(step.started_at);
  // Step times are whole seconds: the same second means less than one.
  return ms === 0 ? el('span', { title: 'Started and ended within the same second' }, '< 1 s') : formatDuration(ms);
}

function render() {
  const r = run;
  $('not-found').hidden = true;
  $('execution').hidden = false;
  $('status').replaceChildren(statusBadge(r.status));
  $('summary-status').replaceChildren(statusBadge(r.status));
  $('graph-id').textContent = r.graph_id;
  $('key-id').textContent = r.key_id || '—';
  showName($('flow-name'), r.graph_id);
  showName($('key-name'), r.key_id);
  $('started').replaceChildren(when(r.started_at));
  $('ended').replaceChildren(r.ended_at ? dateTimeElement(r.ended_at) : el('span', { className: 'muted' }, 'Still in flight'));
  $('duration').textContent = r.duration_ms === null || r.duration_ms === undefined ? '—' : formatDuration(r.duration_ms);
  $('live').hidden = !MOVING.has(r.status);

  $('cancel').hidden = !CANCELLABLE.has(r.status);
  $('resume').hidden = !RESUMABLE.has(r.status);

  const failed = r.error && (r.error.message || r.error.step);
  $('run-error').hidden = !failed;
  if (failed) {
    $('run-error-title').textContent = r.error.step ? `Step “${r.error.step}” failed` : 'The run failed';
    $('run-error-message').textContent = r.error.message || '';
  }

  const steps = Array.isArray(r.steps) ? r.steps : [];
  $('steps').replaceChildren(...steps.map((step, i) => el(
    'tr',
    { 'data-step-id': step.id, 'data-status': step.status },
    el('td', { className: 'muted num' }, String(i + 1)),
    el('td', {}, el('code', { className: 'step-id' }, step.id)),
    el('td', {}, statusBadge(step.status)),
    el('td', { className: 'nowrap' }, when(step.started_at)),
    el('td', { className: 'nowrap' }, when(step.ended_at)),
    el('td', { className: 'nowrap num' }, took(step)),
  )));

  $('input').textContent = json(r.input ?? null);
  const hasOutput = r.output !== null && r.output !== undefined;
  $('output').hidden = !hasOutput;
  $('output').textContent = hasOutput ? json(r.output) : '';
  $('no-output').hidden = hasOutput;
  let why = 'No output yet: a run has one when it succeeds.';
  if (r.status === 'succeeded') why = 'The run succeeded without output.';
  else if (r.ended_at) why = `No output: only a run that succeeds has one.${failed ? ' The error above says what went wrong.' : ''}`;
  $('no-output').textContent = why;
}

// Cancel

const cancelDialog = $('cancel-dialog');

$('cancel').addEventListener('click', () => {
  showBanner($('cancel-error'), null);
  // A destructive dialog starts on the safe choice.
  openDialog(cancelDialog, { focus: cancelDialog.querySelector('[data-close]'), fallback: $('refresh') });
});

$('cancel-form').addEventListener('submit', (event) => {
  event.preventDefault();
  act('cancel', {}, { dialog: cancelDialog, submit: $('cancel-submit'), busy: 'Cancelling…', error: $('cancel-error'), done: 'Cancelled the run.' });
});

// Resume

const resumeDialog = $('resume-dialog');
const resumeInput = $('resume-input');
const resumeInputError = $('resume-input-error');

$('resume').addEventListener('click', () => {
  $('resume-form').reset();
  showFieldError(resumeInput, resumeInputError, null);
  showBanner($('resume-error'), null);
  openDialog(resumeDialog, { focus: $('resume-submit'), fallback: $('refresh') });
});

$('resume-form').addEventListener('submit', (event) => {
  event.preventDefault();
  showFieldError(resumeInput, resumeInputError, null);
  const text = resumeInput.value.trim();
  let body = {};
  if (text) {
    let input;
    try {
      input = JSON.parse(text);
    } catch {
      return showFieldError(resumeInput, resumeInputError, 'That is not valid JSON.');
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      return showFieldError(resumeInput, resumeInputError, 'Enter a JSON object, such as {"approved": true}.');
    }
    body = { input };
  }
  act('resume', body, { dialog: resumeDialog, submit: $('resume-submit'), busy: 'Resuming…', error: $('resume-error'), done: 'Resumed the run.' });
});

/** Focus stays in the page when the button that had it is hidden by the new status. */
function keepFocus() {
  const active = document.activeElement;
  if (!active || active === document.body || active.closest('[hidden]')) $('refresh').focus();
}

/** POSTs `cancel` or `resume`, then shows the run as it is now. */
async function act(action, body, { dialog, submit, busy, error, done }) {
  const label = submit.textContent;
  submit.disabled = true;
  submit.textContent = busy;
  showBanner(error, null);
  try {
    await api('POST', `${path}/${action}`, body);
    dialog.close();
    showBanner($('notice'), done);
    await load();
    keepFocus();
  } catch (failure) {
    if (failure instanceof SignedOut) return;
    if (failure instanceof ApiError && failure.status === 409) {
      // The run moved on meanwhile: say so, and show where it is now.
      dialog.close();
      showBanner($('notice'), null);
      await load();
      keepFocus();
      showBanner($('error'), `${failure.message} The page now shows the run as it is.`, $('error-text'));
    } else {
      report(failure, error, error);
    }
  } finally {
    submit.disabled = false;
    submit.textContent = label;
  }
}

$('refresh').addEventListener('click', () => {
  showBanner($('notice'), null);
  load();
});
$('retry').addEventListener('click', load);

start(async () => {
  await Promise.all([load(), loadNames()]);
  if (run) render();
});
