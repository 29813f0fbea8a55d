// The device sign-in page (`/console/device?code=XXXX-XXXX`, PRODUCT.md §17): the signed-in
// user approves or denies the code that `axiom login` printed.

import { $, ApiError, SignedOut, api, showFieldError, start } from './console.js';

const codeInput = $('user-code');
const codeError = $('user-code-error');

/** `bcdf ghjk`, `BCDF-GHJK` and `bcdfghjk` are one code: 8 letters, shown as `XXXX-XXXX`. */
function normalise(text) {
  const letters = text.toUpperCase().replace(/[\s-]/g, '');
  if (!/^[A-Z]{8}$/.test(letters)) return null;
  return `${letters.slice(0, 4)}-${letters.slice(4)}`;
}

function showResult(kind, message) {
  const box = $('result-text');
  box.className = `alert ${kind === 'error' ? 'alert-error' : kind === 'success' ? 'alert-success' : ''}`;
  box.textContent = message;
  $('result').hidden = false;
  $('device-form').hidden = kind !== 'error';
  $('another').hidden = kind === 'error';
}

function clearResult() {
  $('result').hidden = true;
  $('device-form').hidden = false;
}

async function decide(approve) {
  clearResult();
  showFieldError(codeInput, codeError, null);
  const code = normalise(codeInput.value);
  if (!code) {
    return showFieldError(codeInput, codeError, codeInput.value.trim()
      ? 'A code is 8 letters, such as BCDF-GHJK.'
      : 'Enter the code shown by the CLI.');
  }
  codeInput.value = code;
  const buttons = [$('approve'), $('deny')];
  const button = approve ? buttons[0] : buttons[1];
  const label = button.textContent;
  buttons.forEach((b) => { b.disabled = true; });
  button.textContent = approve ? 'Approving…' : 'Denying…';
  try {
    await api('POST', '/v1/auth/device/approve', { user_code: code, approve });
    if (approve) {
      showResult('success', `Approved ${code}. The CLI is signed in within a few seconds, with its own key named “cli”. You can close this tab.`);
    } else {
      showResult('info', `Denied ${code}. The device gets no key; whoever started it sees the sign-in refused.`);
    }
    $('another').focus();
  } catch (error) {
    if (error instanceof SignedOut) return;
    let message = error.message;
    if (error instanceof ApiError && error.status === 404) {
      message = error.code === 'not_found'
        ? `The code ${code} is not waiting for approval: it is mistyped, has expired (codes last 10 minutes), or was already approved or denied. Run axiom login again for a new code.`
        : 'Signing in the CLI from the Console is not available from this API yet (POST /v1/auth/device/approve answered 404).';
    }
    showResult('error', message);
    codeInput.focus();
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    button.textContent = label;
  }
}

$('device-form').addEventListener('submit', (event) => {
  event.preventDefault();
  decide(true);
});
$('deny').addEventListener('click', () => decide(false));
$('another').addEventListener('click', () => {
  clearResult();
  codeInput.value = '';
  codeInput.focus();
});
codeInput.addEventListener('input', () => showFieldError(codeInput, codeError, null));

start((who) => {
  $('device-account').textContent = `${who.email} (tenant ${who.tenant})`;
  const fromLink = new URLSearchParams(location.search).get('code');
  if (fromLink) codeInput.value = normalise(fromLink) || fromLink;
  // Focus starts on the code, never on Approve: the code is what must be checked first.
  codeInput.focus();
});
