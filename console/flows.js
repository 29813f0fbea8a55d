// The Flows page: the account's flows (paged) and, for each, the Use via API dialog with the
// guide's curl command for this origin and the flow's graph_id.

import { $, API_ORIGIN, copyFrom, el, openDialog, pagedList, start, timeElement } from './console.js';

/** Single-quotes `text` for a POSIX shell. */
const shellQuote = (text) => `'${String(text).replace(/'/g, `'\\''`)}'`;

/** The guide's command: invoke `graphId` on this API, the key read from `$AXIOM_API_KEY`. */
export function invokeCommand(graphId, origin = API_ORIGIN) {
  const body = `{"graph_id": ${JSON.stringify(graphId)}, "input": {}, "wait": true}`;
  return [
    `curl -X POST ${shellQuote(`${origin}/invocations/v1/flows/invoke`)} \\`,
    `  -H "Authorization: Bearer $AXIOM_API_KEY" \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(body)}`,
  ].join('\n');
}

const flows = pagedList({
  path: () => '/v1/flows',
  field: 'flows',
  tbody: $('flows'),
  row,
  more: $('flows-more'),
  loading: $('flows-loading'),
  empty: $('flows-empty'),
  error: $('error'),
  errorText: $('error-text'),
});

function row(flow) {
  const use = el('button', { type: 'button', className: 'btn btn-secondary btn-small', 'aria-label': `Use ${flow.name} via API` }, 'Use via API');
  use.addEventListener('click', () => showUse(flow));
  return el(
    'tr',
    { 'data-graph-id': flow.graph_id },
    el('td', {}, el('span', { className: 'key-name' }, flow.name)),
    el('td', {}, el('code', { className: 'key-masked' }, flow.graph_id)),
    el('td', { className: 'nowrap' }, timeElement(flow.created_at)),
    el('td', { className: 'col-actions col-actions-wide' }, use),
  );
}

const useDialog = $('use-dialog');
const command = $('use-command');

function showUse(flow) {
  $('use-name').textContent = flow.name;
  command.textContent = invokeCommand(flow.graph_id);
  $('copy-command-label').textContent = 'Copy';
  $('copy-command-status').textContent = '';
  openDialog(useDialog, { focus: $('copy-command') });
}

$('copy-command').addEventListener('click', () =>
  copyFrom(command, { label: $('copy-command-label'), status: $('copy-command-status'), what: 'The command' }));

$('retry').addEventListener('click', () => flows.reload());

start(() => flows.reload());
