// The Activity page: the account's audit log (`GET /v1/audit-events`, PRODUCT.md §14), paged.

import { $, SignedOut, api, dateTimeElement, el, pagedList, start } from './console.js';

/** What each action means, in words. */
const ACTIONS = {
  'key.created': 'Key created',
  'key.revoked': 'Key revoked',
  'key.rolled': 'Key rolled',
  'flow.created': 'Flow created',
  'execution.cancelled': 'Run cancelled',
  'execution.resumed': 'Run resumed',
  'device.approved': 'CLI sign-in approved',
  'device.denied': 'CLI sign-in denied',
  'quota.changed': 'Quota changed',
};

let session = null;
/** Names of keys and flows by id, from the first page of each list (ids stand in for the rest). */
const names = new Map();

async function loadNames() {
  const lists = [['/v1/api-keys?limit=100', 'keys', 'id'], ['/v1/flows?limit=100', 'flows', 'graph_id']];
  await Promise.all(lists.map(async ([path, field, id]) => {
    try {
      for (const item of (await api('GET', path))[field] || []) names.set(item[id], item.name);
    } catch (error) {
      if (error instanceof SignedOut) throw error;
      // Names are a nicety: the ids are shown instead.
    }
  }));
}

/**
 * An id: the name it belongs to when known, and the id's last 12 characters (ids here are
 * UUIDv7, whose first characters are a timestamp shared by neighbours); the whole id on hover.
 */
function idElement(id, { link, extra = [] } = {}) {
  const name = names.get(id);
  const tail = el('code', { className: 'id-tail', 'data-id': id }, id.length > 14 ? `…${id.slice(-12)}` : id);
  const lines = name
    ? [el('span', { className: 'id-line' }, el('span', { className: 'id-name' }, name), ...extra), tail]
    : [el('span', { className: 'id-line' }, tail, ...extra)];
  if (link) return el('a', { href: link, className: 'id-ref', title: id }, ...lines);
  return el('span', { className: 'id-ref', title: id }, ...lines);
}

const none = () => el('span', { className: 'muted' }, '—');

function target({ type, id } = {}) {
  if (!type && !id) return none();
  const link = type === 'execution' && id ? `executions/${encodeURIComponent(id)}` : undefined;
  return el('span', { className: 'target' }, el('span', { className: 'pill pill-muted' }, type || 'unknown'), id ? idElement(id, { link }) : none());
}

function row(event) {
  const actor = event.actor_key_id === null
    ? el('span', { className: 'muted', title: 'Done by the operator (axiom-admin), not with a key' }, 'operator')
    : idElement(event.actor_key_id, {
      extra: session && event.actor_key_id === session.key_id
        ? [el('span', { className: 'pill', title: 'The key this Console is signed in with' }, 'This session')]
        : [],
    });
  return el(
    'tr',
    { 'data-event-id': event.id, 'data-action': event.action },
    el('td', { className: 'nowrap' }, dateTimeElement(event.at)),
    el('td', {}, el('span', { className: 'action' }, ACTIONS[event.action] || event.action, el('code', { className: 'action-code' }, event.action))),
    el('td', {}, actor),
    el('td', {}, target(event.target)),
    el('td', { className: 'nowrap' }, event.source_ip ? el('code', {}, event.source_ip) : none()),
    el('td', {}, event.user_agent ? el('span', { className: 'user-agent truncate', title: event.user_agent }, event.user_agent) : none()),
  );
}

const events = pagedList({
  path: () => '/v1/audit-events',
  field: 'events',
  tbody: $('events'),
  row,
  more: $('events-more'),
  loading: $('events-loading'),
  empty: $('events-empty'),
  error: $('error'),
  errorText: $('error-text'),
});

async function reload() {
  const refresh = $('refresh');
  refresh.disabled = true;
  try {
    await events.reload();
  } finally {
    refresh.disabled = false;
  }
}

$('refresh').addEventListener('click', reload);
$('retry').addEventListener('click', reload);

start(async (who) => {
  session = who;
  await loadNames();
  await reload();
});
