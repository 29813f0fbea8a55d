// The API Keys page: list (paged), create with an optional expiry, roll with an overlap, the
// one-time Save your API key dialog, revoke, and each key's last-use details.

import {
  $,
  ApiError,
  SignedOut,
  api,
  copyFrom,
  el,
  endSession,
  formatDateTime,
  openDialog,
  pagedList,
  showBanner,
  showFieldError,
  start,
  switchKey,
  timeElement,
} from './console.js';

const MAX_NAME = 64;
const DAY = 86_400_000;
/** The API accepts an `expires_at` at most 366 days ahead (PRODUCT.md §12). */
const MAX_EXPIRY_DAYS = 366;

let session = null;
/** Ids of the keys whose details row is open, kept across reloads of the list. */
const expanded = new Set();

const SVG = 'http://www.w3.org/2000/svg';
function icon(d, { width = '1.4' } = {}) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', width);
  path.setAttribute('stroke-linecap', 'round');
  path.setAttribute('stroke-linejoin', 'round');
  svg.append(path);
  return svg;
}
const trashIcon = () => icon('M2.5 4h11M6.5 4V2.5h3V4M4 4l.7 9.1a1 1 0 0 0 1 .9h4.6a1 1 0 0 0 1-.9L12 4M6.75 6.5v5M9.25 6.5v5');
const chevronIcon = () => icon('M6 4l4 4-4 4', { width: '1.6' });
const rollIcon = () => icon('M13 6.5A5 5 0 0 0 3.6 4.6M3 2.5v2.6h2.6M3 9.5a5 5 0 0 0 9.4 1.9M13 13.5v-2.6h-2.6');

function notify(message) {
  showBanner($('notice'), message);
}

const isExpired = (key) => key.status === 'expired' || (key.expires_at && new Date(key.expires_at) <= new Date());

// The list

const keys = pagedList({
  path: () => '/v1/api-keys',
  field: 'keys',
  tbody: $('keys'),
  row,
  more: $('keys-more'),
  loading: $('keys-loading'),
  empty: $('keys-empty'),
  error: $('error'),
  errorText: $('error-text'),
});

const loadKeys = () => keys.reload();

/** Hover text of a last use: when, and where from. */
function lastUseTitle(key) {
  const parts = [formatDateTime(key.last_used_at)];
  if (key.last_used_ip) parts.push(`from ${key.last_used_ip}`);
  if (key.last_used_user_agent) parts.push(key.last_used_user_agent);
  return parts.join(' · ');
}

function expiresCell(key) {
  if (!key.expires_at) return el('span', { className: 'muted' }, 'Never');
  const when = timeElement(key.expires_at);
  when.title = formatDateTime(key.expires_at);
  if (isExpired(key)) {
    return el('span', { className: 'expires' }, el('span', { className: 'badge badge-expired', title: `Expired ${formatDateTime(key.expires_at)}` }, 'Expired'), when);
  }
  // Within two days the time matters (a rolled key's overlap ends within hours).
  if (new Date(key.expires_at) - new Date() < 2 * DAY) when.textContent = formatDateTime(key.expires_at);
  return when;
}

function row(key) {
  const name = el('span', { className: 'key-name' }, key.name);
  if (session && key.id === session.key_id) {
    name.append(el('span', { className: 'pill', title: 'The key this Console is signed in with' }, 'This session'));
  }
  const lastUsed = key.last_used_at ? timeElement(key.last_used_at) : el('span', { className: 'muted' }, 'Never');
  if (key.last_used_at) lastUsed.title = lastUseTitle(key);

  const details = el('button', {
    type: 'button',
    className: 'icon-button icon-button-plain disclosure',
    'aria-label': `Details of ${key.name}`,
    'aria-expanded': 'false',
    title: 'Details',
  }, chevronIcon());
  const actions = [details];
  if (!isExpired(key)) {
    const roll = el('button', { type: 'button', className: 'icon-button icon-button-plain', 'aria-label': `Roll ${key.name}`, title: 'Roll key' }, rollIcon());
    roll.addEventListener('click', () => askRoll(key));
    actions.push(roll);
  } else {
    // Expired keys cannot be rolled (the API answers 409): keep the other buttons in line.
    actions.push(el('span', { className: 'icon-spacer', 'aria-hidden': 'true' }));
  }
  const revoke = el('button', { type: 'button', className: 'icon-button', 'aria-label': `Revoke ${key.name}`, title: 'Revoke key' }, trashIcon());
  revoke.addEventListener('click', () => askRevoke(key));
  actions.push(revoke);

  const tr = el(
    'tr',
    { 'data-key-id': key.id, className: isExpired(key) ? 'is-expired' : '' },
    el('td', {}, name),
    el('td', {}, key.masked ? el('code', { className: 'key-masked' }, key.masked) : el('span', { className: 'muted', title: 'Created before masked keys were stored' }, '—')),
    el('td', { className: 'nowrap' }, timeElement(key.created_at)),
    el('td', { className: 'nowrap' }, lastUsed),
    el('td', { className: 'nowrap' }, expiresCell(key)),
    el('td', { className: 'col-actions' }, el('span', { className: 'row-actions' }, ...actions)),
  );
  details.addEventListener('click', () => toggleDetails(tr, details, key));
  // A reload redraws the rows: reopen what was open once the row is in the table.
  if (expanded.has(key.id)) queueMicrotask(() => toggleDetails(tr, details, key, true));
  return tr;
}

function toggleDetails(tr, button, key, open = button.getAttribute('aria-expanded') !== 'true') {
  const id = `key-details-${key.id}`;
  document.getElementById(id)?.remove();
  button.setAttribute('aria-expanded', String(open));
  if (!open) {
    expanded.delete(key.id);
    button.removeAttribute('aria-controls');
    return;
  }
  expanded.add(key.id);
  const fact = (label, value) => [el('dt', {}, label), el('dd', {}, value)];
  const text = (value, fallback = '—') => (value ? value : el('span', { className: 'muted' }, fallback));
  const status = isExpired(key)
    ? 'Expired: every request with it is refused. Expired keys cannot be rolled; create a new key and revoke this one.'
    : 'Active';
  const facts = el(
    'dl',
    { className: 'facts' },
    ...fact('Key ID', el('code', {}, key.id)),
    ...fact('Status', status),
    ...fact('Created', formatDateTime(key.created_at)),
    ...fact('Last used', key.last_used_at ? formatDateTime(key.last_used_at) : text(null, 'Never')),
    ...fact('Last used from', key.last_used_ip ? el('code', {}, key.last_used_ip) : text(null)),
    ...fact('User agent', key.last_used_user_agent ? el('span', { className: 'user-agent' }, key.last_used_user_agent) : text(null)),
    ...fact('Expires', key.expires_at ? formatDateTime(key.expires_at) : text(null, 'Never')),
  );
  const detailsRow = el('tr', { id, className: 'details-row' }, el('td', { colSpan: 6 }, facts));
  tr.after(detailsRow);
  button.setAttribute('aria-controls', id);
}

// Expiry, in the Create and Roll dialogs

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' });
const localDate = (date) => `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;

/**
 * The Expires control of a dialog: Never, a number of days from now, or the end of a chosen
 * day in the browser's time zone.
 */
function expiryControl(prefix) {
  const select = $(`${prefix}-expiry`);
  const custom = $(`${prefix}-expiry-custom`);
  const date = $(`${prefix}-expiry-date`);
  const hint = $(`${prefix}-expiry-hint`);
  const error = $(`${prefix}-expiry-error`);

  /** `{expires_at}` (null for never), or `{error}`. */
  const value = () => {
    if (select.value === 'never') return { expires_at: null };
    if (select.value !== 'custom') return { expires_at: new Date(Date.now() + Number(select.value) * DAY) };
    if (!date.value) return { error: 'Choose the day the key expires.' };
    const [y, m, d] = date.value.split('-').map(Number);
    const end = new Date(y, m - 1, d + 1, 0, 0, 0);
    if (Number.isNaN(end.getTime()) || end <= new Date()) return { error: 'Choose a day from today on.' };
    if (end - Date.now() > MAX_EXPIRY_DAYS * DAY) return { error: `A key expires at most ${MAX_EXPIRY_DAYS} days from now.` };
    return { expires_at: end };
  };

  const describe = () => {
    custom.hidden = select.value !== 'custom';
    const chosen = value();
    if (chosen.error) hint.textContent = 'The key works until the end of that day (your time zone), then every request with it is refused.';
    else if (chosen.expires_at === null) hint.textContent = 'The key works until you revoke it.';
    else if (select.value === 'custom') {
      const day = new Date(chosen.expires_at.getTime() - 1);
      hint.textContent = `The key works until the end of ${dayFormat.format(day)} (your time zone), then every request with it is refused.`;
    }
    else hint.textContent = `The key works until ${formatDateTime(chosen.expires_at)}, then every request with it is refused.`;
  };

  select.addEventListener('change', () => {
    showFieldError(date, error, null);
    describe();
    if (select.value === 'custom') date.focus();
  });
  date.addEventListener('input', () => {
    showFieldError(date, error, null);
    describe();
  });

  return {
    reset() {
      select.value = 'never';
      date.value = '';
      const today = new Date();
      date.min = localDate(today);
      // The last day whose end is within 366 days.
      date.max = localDate(new Date(today.getTime() + (MAX_EXPIRY_DAYS - 1) * DAY));
      showFieldError(date, error, null);
      describe();
    },
    /** The `expires_at` to send (undefined for never), or null after showing an error. */
    read() {
      const chosen = value();
      if (chosen.error) {
        showFieldError(date, error, chosen.error);
        return null;
      }
      return { expires_at: chosen.expires_at ? chosen.expires_at.toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined };
    },
    showError(message) {
      custom.hidden = false;
      showFieldError(date, error, message);
    },
  };
}

// Create key

const createDialog = $('create-dialog');
const createForm = $('create-form');
const nameInput = $('key-name');
const nameError = $('key-name-error');
const createExpiry = expiryControl('create');

$('create-key').addEventListener('click', () => {
  createForm.reset();
  showFieldError(nameInput, nameError, null);
  createExpiry.reset();
  openDialog(createDialog, { focus: nameInput });
});

createForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = nameInput.value.trim();
  showFieldError(nameInput, nameError, null);
  if (!name) return showFieldError(nameInput, nameError, 'Enter a name for the key.');
  if ([...name].length > MAX_NAME) return showFieldError(nameInput, nameError, `A name is at most ${MAX_NAME} characters.`);
  const expiry = createExpiry.read();
  if (!expiry) return;
  const submit = $('create-submit');
  submit.disabled = true;
  submit.textContent = 'Creating…';
  try {
    const created = await api('POST', '/v1/api-keys', { name, ...expiry });
    createDialog.close();
    showSecret(created);
    notify(`Created the key “${created.name}”.`);
    loadKeys();
  } catch (error) {
    if (error instanceof SignedOut) return;
    if (error instanceof ApiError && /expires_at/.test(error.message)) createExpiry.showError(error.message);
    else showFieldError(nameInput, nameError, error.message);
  } finally {
    submit.disabled = false;
    submit.textContent = 'Create key';
  }
});

// Save your API key

const saveDialog = $('save-dialog');
const secret = $('new-key');

function showSecret(created) {
  secret.textContent = created.key;
  $('copy-label').textContent = 'Copy';
  $('copy-status').textContent = '';
  $('save-facts').textContent = created.expires_at
    ? `It expires ${formatDateTime(created.expires_at)}.`
    : 'It never expires; revoke it when it is no longer needed.';
  openDialog(saveDialog, { focus: $('copy-key'), fallback: $('create-key') });
}

// The raw key must not outlive the dialog in the page.
saveDialog.addEventListener('close', () => {
  secret.textContent = '';
});

$('save-done').addEventListener('click', () => {
  secret.textContent = '';
  saveDialog.close();
});

$('copy-key').addEventListener('click', () => copyFrom(secret, { label: $('copy-label'), status: $('copy-status'), what: 'The key' }));

// Roll

const rollDialog = $('roll-dialog');
const rollForm = $('roll-form');
const rollExpiry = expiryControl('roll');
let rolling = null;

function askRoll(key) {
  rolling = key;
  rollForm.reset();
  rollExpiry.reset();
  $('roll-name').textContent = key.name;
  $('roll-masked').replaceChildren(...(key.masked ? [' (', el('code', { className: 'plain-code' }, key.masked), ')'] : []));
  $('roll-self').hidden = !(session && key.id === session.key_id);
  const cap = $('roll-overlap-cap');
  cap.hidden = !key.expires_at;
  cap.textContent = key.expires_at ? `It never works past its own expiry, ${formatDateTime(key.expires_at)}.` : '';
  showBanner($('roll-error'), null);
  openDialog(rollDialog, { focus: rollForm.querySelector('input[name=overlap]:checked'), fallback: $('create-key') });
}

rollForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const key = rolling;
  const overlap = Number(new FormData(rollForm).get('overlap'));
  const expiry = rollExpiry.read();
  if (!expiry) return;
  const submit = $('roll-submit');
  submit.disabled = true;
  submit.textContent = 'Rolling…';
  showBanner($('roll-error'), null);
  try {
    const rolled = await api('POST', `/v1/api-keys/${encodeURIComponent(key.id)}/roll`, { overlap_seconds: overlap, ...expiry });
    if (session && key.id === session.key_id) {
      switchKey(rolled.key);
      session = { ...session, key_id: rolled.id };
    }
    rollDialog.close();
    showSecret(rolled);
    expanded.delete(key.id);
    await loadKeys();
    const old = keys.items().find((k) => k.id === rolled.rolled_from);
    notify(old && old.expires_at
      ? `Rolled the key “${rolled.name}”. The old key works until ${formatDateTime(old.expires_at)}.`
      : `Rolled the key “${rolled.name}”. The old key no longer works.`);
  } catch (error) {
    if (error instanceof SignedOut) return;
    if (error instanceof ApiError && error.status === 404) {
      await loadKeys();
      rollDialog.close();
      notify(`The key “${key.name}” no longer exists.`);
    } else if (error instanceof ApiError && /expires_at/.test(error.message)) {
      rollExpiry.showError(error.message);
    } else {
      showBanner($('roll-error'), error.message);
    }
  } finally {
    submit.disabled = false;
    submit.textContent = 'Roll key';
  }
});

// Revoke

const revokeDialog = $('revoke-dialog');
let revoking = null;

function askRevoke(key) {
  revoking = key;
  $('revoke-name').textContent = key.name;
  $('revoke-masked').replaceChildren(...(key.masked ? [' (', el('code', { className: 'plain-code' }, key.masked), ')'] : []));
  $('revoke-self').hidden = !(session && key.id === session.key_id);
  showBanner($('revoke-error'), null);
  // A destructive dialog starts on Cancel.
  openDialog(revokeDialog, { focus: revokeDialog.querySelector('[data-close]'), fallback: $('create-key') });
}

$('revoke-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const key = revoking;
  const submit = $('revoke-submit');
  submit.disabled = true;
  submit.textContent = 'Revoking…';
  try {
    await api('DELETE', `/v1/api-keys/${encodeURIComponent(key.id)}`);
    if (session && key.id === session.key_id) {
      return endSession('You revoked the key this Console was signed in with. Sign in with another key.');
    }
    expanded.delete(key.id);
    // The list is redrawn first, so closing the dialog finds the trash button gone and moves
    // focus to Create key.
    await loadKeys();
    revokeDialog.close();
    notify(`Revoked the key “${key.name}”. It no longer works.`);
  } catch (error) {
    if (error instanceof SignedOut) return;
    if (error instanceof ApiError && error.status === 404) {
      await loadKeys();
      revokeDialog.close();
      notify(`The key “${key.name}” no longer exists.`);
    } else {
      showBanner($('revoke-error'), error.message);
    }
  } finally {
    submit.disabled = false;
    submit.textContent = 'Revoke key';
  }
});

$('retry').addEventListener('click', () => loadKeys());

start(async (who) => {
  session = who;
  await loadKeys();
});
