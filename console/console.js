// Shared by every Console page: the API key session, the API client, dialogs and formatting.
//
// The back end has no sign-in of its own: every call carries `Authorization: Bearer <key>`.
// The Console asks for a key once and keeps it in sessionStorage, so it lives as long as the
// browser tab and is never written to disk or shared with other tabs.

const KEY_STORAGE = 'axiom.console.apiKey';
const NOTICE_STORAGE = 'axiom.console.notice';
const KEY_PATTERN = /^[0-9a-f]{64}$/;

/** The API's origin path: the Console is served at `<base>/console/...`. */
export const API_BASE = location.pathname.slice(0, Math.max(0, location.pathname.indexOf('/console/')));

/** Where this API is reached from outside, such as `https://api.example.com/prod`. */
export const API_ORIGIN = location.origin + API_BASE;

/** An error answered by the API (`{"error": {"code", "message"}}`) or by the gateway. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Thrown after a refused key has sent the user back to the key prompt: nothing to show. */
export class SignedOut extends Error {}

let apiKey = null;

async function call(method, path, body, key) {
  const headers = { accept: 'application/json', authorization: `Bearer ${key}` };
  const init = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(API_BASE + path, init);
  } catch {
    throw new ApiError(0, 'network_error', 'Could not reach the Axiom API. Check your connection and try again.');
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (response.ok) return data;
  if (data && data.error && typeof data.error.message === 'string') {
    throw new ApiError(response.status, data.error.code || 'error', data.error.message);
  }
  // API Gateway's own answers: {"message": "Not Found"} and the like.
  const reason = data && typeof data.message === 'string' ? data.message : response.statusText;
  throw new ApiError(response.status, 'http_error', `The API answered ${response.status}${reason ? ` ${reason}` : ''}.`);
}

/**
 * Calls the API with the session's key. A 401 or 403 means the key is no longer accepted:
 * the session ends and the user is sent back to the key prompt with a message.
 */
export async function api(method, path, body) {
  if (!apiKey) throw new SignedOut();
  try {
    return await call(method, path, body, apiKey);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      endSession('Your API key was refused: it is invalid or has been revoked. Sign in with another key.');
      throw new SignedOut();
    }
    throw error;
  }
}

/**
 * Switches this tab's session to another key of the same account (after rolling the key the
 * Console was signed in with), without reloading the page.
 */
export function switchKey(key) {
  apiKey = key;
  sessionStorage.setItem(KEY_STORAGE, key);
}

/** Forgets the key and shows the prompt again, with `notice` (reloading drops every page's data). */
export function endSession(notice) {
  apiKey = null;
  sessionStorage.removeItem(KEY_STORAGE);
  if (notice) sessionStorage.setItem(NOTICE_STORAGE, notice);
  location.reload();
}

const $ = (id) => document.getElementById(id);
export { $ };

/**
 * Starts a page: shows the key prompt, or checks the stored key and calls `load(session)`
 * with `{email, tenant, account_id, key_id}` of the key.
 */
export function start(load) {
  const signInForm = $('sign-in-form');
  const keyInput = $('api-key');
  const keyError = $('api-key-error');

  $('sign-out').addEventListener('click', () => endSession('You are signed out.'));

  signInForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = keyInput.value.trim().replace(/^["']|["']$/g, '');
    showFieldError(keyInput, keyError, null);
    if (!key) return showFieldError(keyInput, keyError, 'Paste an API key.');
    if (!KEY_PATTERN.test(key)) {
      return showFieldError(keyInput, keyError, 'That is not an API key: a key is 64 lowercase hexadecimal characters.');
    }
    const button = signInForm.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const who = await call('GET', '/v1/whoami', undefined, key);
      sessionStorage.setItem(KEY_STORAGE, key);
      keyInput.value = '';
      await enter(key, who, load);
    } catch (error) {
      const message = error instanceof ApiError && (error.status === 401 || error.status === 403)
        ? 'This key was refused: it is invalid or has been revoked.'
        : error.message;
      showFieldError(keyInput, keyError, message);
    } finally {
      button.disabled = false;
    }
  });

  const notice = sessionStorage.getItem(NOTICE_STORAGE);
  sessionStorage.removeItem(NOTICE_STORAGE);
  const stored = sessionStorage.getItem(KEY_STORAGE);
  if (!stored) return showSignIn(notice);
  call('GET', '/v1/whoami', undefined, stored).then(
    (who) => enter(stored, who, load),
    (error) => {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        sessionStorage.removeItem(KEY_STORAGE);
        showSignIn('Your API key was refused: it is invalid or has been revoked. Sign in with another key.');
      } else {
        showSignIn(`Could not check your API key. ${error.message}`);
      }
    },
  );
}

function showSignIn(notice) {
  $('page').hidden = true;
  $('account').hidden = true;
  $('sign-in').hidden = false;
  const box = $('sign-in-notice');
  box.textContent = notice || '';
  box.hidden = !notice;
  $('api-key').focus();
}

async function enter(key, who, load) {
  apiKey = key;
  $('account-email').textContent = who.email;
  $('account-tenant').textContent = who.tenant;
  $('account-tenant').title = 'Tenant';
  $('account').hidden = false;
  $('sign-in').hidden = true;
  $('page').hidden = false;
  try {
    await load(who);
  } catch (error) {
    if (!(error instanceof SignedOut)) throw error;
  }
}

/** Shows (or with `null` clears) a field's error message, tied to the field for assistive tech. */
export function showFieldError(input, element, message) {
  element.textContent = message || '';
  element.hidden = !message;
  if (message) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  } else {
    input.removeAttribute('aria-invalid');
  }
}

/** Shows a message in a banner element (or hides it with `null`). */
export function showBanner(element, message, textElement = element) {
  textElement.textContent = message || '';
  element.hidden = !message;
}

/**
 * Opens a modal `<dialog>` and returns focus to the element that opened it (or `fallback`,
 * when that element is gone) once it closes. Buttons marked `data-close` close it.
 */
export function openDialog(dialog, { focus, fallback } = {}) {
  const opener = document.activeElement;
  dialog.showModal();
  if (focus) focus.focus();
  dialog.addEventListener(
    'close',
    () => {
      const target = opener && opener !== document.body && opener.isConnected && !opener.disabled ? opener : fallback;
      if (target) target.focus();
    },
    { once: true },
  );
}

for (const button of document.querySelectorAll('dialog [data-close]')) {
  button.addEventListener('click', () => button.closest('dialog').close());
}

const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** `Nov 26, 2026, 8:00:46 PM`: a timestamp with seconds, for logs and runs. */
export function formatDateTime(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : fullFormat.format(date);
}

/** A `<time>` for an RFC 3339 timestamp: the date shown, date and time on hover. */
export function timeElement(value) {
  const element = document.createElement('time');
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    element.textContent = value;
    return element;
  }
  element.dateTime = value;
  element.textContent = dateFormat.format(date);
  element.title = dateTimeFormat.format(date);
  return element;
}

/** A `<time>` showing date and time (with seconds); `title` adds hover text. */
export function dateTimeElement(value, title) {
  const element = document.createElement('time');
  element.dateTime = value;
  element.textContent = formatDateTime(value);
  if (title) element.title = title;
  return element;
}

const count = new Intl.NumberFormat();
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

/** Milliseconds for a person: `843 ms`, `2.35 s`, `4 min 12 s`. */
export function formatDuration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${count.format(Math.round(ms))} ms`;
  if (ms < 60_000) return `${decimal.format(Math.round(ms / 10) / 100)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${count.format(Math.floor(seconds / 60))} min ${seconds % 60} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 1440) return `${count.format(Math.floor(minutes / 60))} h ${minutes % 60} min`;
  const hours = Math.round(minutes / 60);
  return `${count.format(Math.floor(hours / 24))} d ${hours % 24} h`;
}

/** Execution statuses (PRODUCT.md §6), in the order a run meets them, with their labels. */
export const EXECUTION_STATUSES = [
  ['queued', 'Queued'],
  ['running', 'Running'],
  ['paused', 'Paused'],
  ['compensating', 'Compensating'],
  ['succeeded', 'Succeeded'],
  ['failed', 'Failed'],
  ['cancelled', 'Cancelled'],
  ['compensation_failed', 'Compensation failed'],
];
/** Steps also have these (PRODUCT.md §5: a step after a failure may be compensated). */
const STATUS_LABELS = Object.fromEntries([...EXECUTION_STATUSES, ['pending', 'Pending'], ['compensated', 'Compensated']]);

/** A coloured badge for an execution's (or a step's) status. */
export function statusBadge(status) {
  return el('span', { className: `badge badge-${String(status).replace(/_/g, '-')}`, 'data-status': status }, STATUS_LABELS[status] || status);
}

/**
 * A paged list (PRODUCT.md §13) drawn into a table: `reload()` starts from the first page,
 * **Load more** (`more`) appends the next one and is shown only while `next_cursor` is not null.
 * `path()` gives the list's path with its filters (a query string or none); `field` is the
 * answer's array. A filtered page may be empty while more follow: up to five such pages are
 * fetched in a row before the user is asked to load more.
 */
export function pagedList({ path, field, limit, tbody, row, more, loading, empty, error, errorText = error, onItems }) {
  let cursor = null;
  let generation = 0;
  let items = [];

  const url = (next) => {
    const base = path();
    const params = new URLSearchParams();
    if (limit) params.set('limit', String(limit));
    if (next) params.set('cursor', next);
    const query = params.toString();
    if (!query) return base;
    return base + (base.includes('?') ? '&' : '?') + query;
  };

  async function fetchPage(append) {
    const mine = ++generation;
    showBanner(error, null, errorText);
    more.disabled = true;
    if (append) more.textContent = 'Loading…';
    // A reload keeps the rows on screen until the new first page replaces them.
    else loading.hidden = tbody.rows.length > 0;
    tbody.setAttribute('aria-busy', 'true');
    try {
      let page = [];
      let next = append ? cursor : null;
      for (let round = 0; round < 5; round += 1) {
        const answer = await api('GET', url(next));
        if (mine !== generation) return;
        page = page.concat(answer[field] || []);
        next = answer.next_cursor ?? null;
        if (page.length > 0 || next === null) break;
      }
      cursor = next;
      if (append) {
        items = items.concat(page);
        tbody.append(...page.map(row));
      } else {
        items = page;
        tbody.replaceChildren(...page.map(row));
      }
      empty.hidden = items.length > 0 || cursor !== null;
      more.hidden = cursor === null;
      if (onItems) onItems(items);
    } catch (failure) {
      if (mine !== generation || failure instanceof SignedOut) return;
      showBanner(error, failure instanceof ApiError ? failure.message : `Something went wrong: ${failure.message}`, errorText);
    } finally {
      if (mine === generation) {
        loading.hidden = true;
        more.disabled = false;
        more.textContent = 'Load more';
        tbody.removeAttribute('aria-busy');
      }
    }
  }

  more.addEventListener('click', () => fetchPage(true));
  return {
    reload: () => fetchPage(false),
    items: () => items,
  };
}

function selectContents(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

/** The pre-Clipboard-API way, for browsers or contexts without `navigator.clipboard`. */
function copyWithSelection(element) {
  selectContents(element);
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    window.getSelection().removeAllRanges();
  }
}

/**
 * Copies `source`'s text: the Clipboard API, else selecting it and `execCommand`, else leaves
 * it selected and says how to copy by hand. `label` becomes "Copied"; `status` says what happened.
 */
export async function copyFrom(source, { label, status, what = 'The text' }) {
  const text = source.textContent;
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch {
    copied = copyWithSelection(source);
  }
  if (copied) {
    label.textContent = 'Copied';
    status.textContent = `${what} is on your clipboard.`;
  } else {
    selectContents(source);
    status.textContent = `Copying is blocked here: ${what.toLowerCase()} is selected, press Ctrl+C (⌘C on a Mac) to copy it.`;
  }
}

/** `el('span', {className: 'x'}, 'text', child)`: a small DOM builder (never parses HTML). */
export function el(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name in element && !name.includes('-')) element[name] = value;
    else element.setAttribute(name, value);
  }
  element.append(...children);
  return element;
}
