import { h } from './dom.ts';
import type { LiveEvent } from './types.ts';

/** The newest events shown; older ones drop off the bottom. */
const FEED_MAX = 150;

const BAD = new Set(['node.down', 'node.suspect', 'replica.failed', 'replica.lost', 'file.degraded']);
const GOOD = new Set(['node.up', 'file.completed', 'file.healed', 'replica.stored']);

/** The feed's words for an event: a node, the file's name (when known) and what else it says. */
function describe(event: LiveEvent, nameOf: (fileId: string) => string | undefined): string {
  const { fileId, node, reason, replicas, target, name, from } = event.data;
  const file =
    typeof fileId === 'string' ? (nameOf(fileId) ?? (name as string) ?? fileId.slice(0, 8)) : undefined;
  return [
    node,
    file,
    replicas !== undefined && target !== undefined ? `${replicas}/${target}` : undefined,
    from !== undefined ? `was ${from}` : undefined,
    reason,
  ]
    .filter((part) => part !== undefined && part !== '')
    .join(' · ');
}

/** Adds an event at the top of the feed. */
export function addToFeed(
  list: HTMLElement,
  event: LiveEvent,
  nameOf: (fileId: string) => string | undefined,
) {
  const at = typeof event.data.at === 'string' ? new Date(event.data.at) : new Date();
  const tone = BAD.has(event.type) ? 'bad' : GOOD.has(event.type) ? 'good' : '';
  list.prepend(
    h(
      'li',
      { data: { type: event.type, id: event.id } },
      h('time', { text: at.toTimeString().slice(0, 8), title: at.toISOString() }),
      h('span', { class: `type ${tone}`, text: event.type }),
      h('span', { class: 'what', text: describe(event, nameOf) }),
    ),
  );
  while (list.childElementCount > FEED_MAX) list.lastElementChild?.remove();
}
