// The API Keys page: list, create (with the one-time Save your API key dialog) and revoke.

import { $, ApiError, SignedOut, api, el, endSession, openDialog, showBanner, showFieldError, start, timeElement } from './console.js';

const MAX_NAME = 64;

let session = null;

const trashIcon = () => {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', 'M2.5 4h11M6.5 4V2.5h3V4M4 4l.7 9.1a1 1 0 0 0 1 .9h4.6a1 1 0 0 0 1-.9L12 4M6.75 6.5v5M9.25 6.5v5');
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', '1.4');
  path.setAttribute('stroke-linecap', 'round');
  path.setAttribute('stroke-linejoin', 'round');
  svg.append(path);
  return svg;
};

/** Shows a failed call: sign-outs need nothing; anything else goes to the page's banner. */
function report(error) {
  if (error instanceof SignedOut) return;
  showBanner($('error'), error instanceof ApiError ? error.message : `Something went wrong: ${error.message}`, $('error-text'));
}

function notify(message) {
  showBanner($('notice'), message);
}

async function loadKeys() {
  showBanner($('error'), null, $('error-text'));
  let keys;
  try {
    ({ keys } = await api('GET', '/v1/api-keys'));
  } catch (error) {
    $('keys-loading').hidden = true;
    return report(error);
  }
  $('keys-loading').hidden = true;
  $('keys-empty').hidden = keys.length > 0;
  $('keys').replaceChildren(...keys.map(row));
}

function row(key) {
  const name = el('span', { className: 'key-name' }, key.name);
  if (session && key.id === session.key_id) {
    name.append(el('span', { className: 'pill', title: 'The key this Console is signed in with' }, 'This session'));
  }
  const revoke = el('button', { type: 'button', className: 'icon-button', 'aria-label': `Revoke ${key.name}`, title: 'Revoke key' }, trashIcon());
  revoke.addEventListener('click', () => askRevoke(key));
  return el(
    'tr',
    { 'data-key-id': key.id },
    el('td', {}, name),
    el('td', {}, key.masked ? el('code', { className: 'key-masked' }, key.masked) : el('span', { className: 'muted', title: 'Created before masked keys were stored' }, '—')),
    el('td', { className: 'nowrap' }, timeElement(key.created_at)),
    el('td', { className: 'nowrap' }, key.last_used_at ? timeElement(key.last_used_at) : el('span', { className: 'muted' }, 'Never')),
    el('td', { className: 'col-actions' }, revoke),
  );
}

// Create key

const createDialog = $('create-dialog');
const createForm = $('create-form');
const nameInput = $('key-name');
const nameError = $('key-name-error');

$('create-key').addEventListener('click', () => {
  createForm.reset();
  showFieldError(nameInput, nameError, null);
  openDialog(createDialog, { focus: nameInput });
});

createForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const name = nameInput.value.trim();
  showFieldError(nameInput, nameError, null);
  if (!name) return showFieldError(nameInput, nameError, 'Enter a name for the key.');
  if ([...name].length > MAX_NAME) return showFieldError(nameInput, nameError, `A name is at most ${MAX_NAME} characters.`);
  const submit = $('create-submit');
  submit.disabled = true;
  submit.textContent = 'Creating…';
  try {
    const created = await api('POST', '/v1/api-keys', { name });
    createDialog.close();
    showSecret(created);
    notify(`Created the key “${created.name}”.`);
    loadKeys();
  } catch (error) {
    if (!(error instanceof SignedOut)) showFieldError(nameInput, nameError, error.message);
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
  openDialog(saveDialog, { focus: $('copy-key'), fallback: $('create-key') });
}

// The raw key must not outlive the dialog in the page.
saveDialog.addEventListener('close', () => {
  secret.textContent = '';
});

$('save-done').addEventListener('click', () => saveDialog.close());

$('copy-key').addEventListener('click', async () => {
  const text = secret.textContent;
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch {
    copied = copyWithSelection(secret);
  }
  if (copied) {
    $('copy-label').textContent = 'Copied';
    $('copy-status').textContent = 'The key is on your clipboard.';
  } else {
    selectContents(secret);
    $('copy-status').textContent = 'Copying is blocked here: the key is selected, press Ctrl+C (⌘C on a Mac) to copy it.';
  }
});

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
