import type { Request, RequestHandler } from 'express';
import { AppError } from '../../../../../shared/src/errors.ts';
import { SseStream } from '../../../../../shared/src/http/sse.ts';
import type { StoredEvent } from '../../store/event-store.ts';
import type { IngestContext } from './context.ts';
import { fileIdParam } from './params.ts';
import { statusBody } from './status-body.ts';

/** Most events a reconnecting stream is sent from the log before it goes live. */
const REPLAY_MAX = 10_000;
const PAGE = 1_000;

/** An event as clients see it: `id`, `type`, `at`, `fileId`/`node` when it has them, and its details. */
export function eventBody(event: StoredEvent): Record<string, unknown> {
  return {
    ...event.data,
    id: event.id,
    type: event.type,
    at: event.at,
    ...(event.fileId !== undefined ? { fileId: event.fileId } : {}),
    ...(event.node !== undefined ? { node: event.node } : {}),
  };
}

/** `Last-Event-ID` (what EventSource sends on reconnect), or `?lastEventId=` for clients that cannot set headers. */
function lastEventId(req: Request): number | undefined {
  const raw =
    req.get('last-event-id') ??
    (typeof req.query.lastEventId === 'string' ? req.query.lastEventId : undefined);
  if (raw === undefined || raw === '') return undefined;
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id < 0)
    throw new AppError('BAD_REQUEST', 'Last-Event-ID must be an event id');
  return id;
}

/**
 * Streams events to `stream`: first what the log holds after `after` up to where the live feed
 * began (a reconnect misses nothing), then each new event as it is appended. `accept` filters
 * (one file's stream); `done` says when a stream has nothing more to say.
 */
async function follow(
  ctx: IngestContext,
  stream: SseStream,
  options: {
    after: number | undefined;
    fileId?: string;
    accept: (event: StoredEvent) => boolean;
    onEvent?: (event: StoredEvent) => Promise<boolean> | boolean;
    first?: (since: number) => void;
  },
): Promise<void> {
  const sent = new Set<number>();
  let queue = Promise.resolve();
  let replaying = true;
  const held: StoredEvent[] = [];
  const deliver = async (event: StoredEvent) => {
    if (stream.isClosed || sent.has(event.id) || !options.accept(event)) return;
    sent.add(event.id);
    stream.send({ id: event.id, type: event.type, data: eventBody(event) });
    if (options.onEvent && (await options.onEvent(event))) stream.end();
  };
  const subscription = await ctx.feed.subscribe(
    (events) => {
      if (replaying) held.push(...events);
      else
        queue = queue
          .then(async () => {
            for (const event of events) await deliver(event);
          })
          // A stream that broke is closed; the others are not held up by it.
          .catch(() => stream.end());
    },
    () => stream.end(),
  );
  stream.whenClosed(() => subscription.stop());
  options.first?.(subscription.since);
  if (options.after !== undefined) {
    let cursor = options.after;
    let replayed = 0;
    while (cursor < subscription.since && replayed < REPLAY_MAX && !stream.isClosed) {
      const page = await ctx.events.read({ afterId: cursor, fileId: options.fileId, limit: PAGE });
      for (const event of page) if (event.id <= subscription.since) await deliver(event);
      replayed += page.length;
      if (page.length < PAGE) break;
      cursor = page[page.length - 1]?.id ?? subscription.since;
    }
  }
  replaying = false;
  for (const event of held.splice(0)) await deliver(event);
}

/** `GET /events`: every event of the cluster, live, as text/event-stream. */
export function clusterEvents(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    const after = lastEventId(req);
    await follow(ctx, new SseStream(req, res, { maxQueuedBytes: ctx.config.eventsMaxQueuedBytes }), {
      after,
      accept: () => true,
    });
  };
}

/**
 * `GET /files/<id>/events`: the file's status first (event `status`), then each change to it.
 * Ends after `file.deleted`, or once the file has its target and no replica is pending any more.
 */
export function fileEvents(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    const id = fileIdParam(req.params.id);
    const after = lastEventId(req);
    const status = await ctx.statuses.get(id);
    if (!status) throw new AppError('NOT_FOUND', 'no such file');
    // Whole: the file reached its target (before the stream began, or file.completed since).
    let whole = status.replicas >= status.target;
    const settled = async () => {
      const now = await ctx.statuses.get(id);
      return !now || (now.replicas >= now.target && now.nodes.every((n) => n.state !== 'pending'));
    };
    const stream = new SseStream(req, res, { maxQueuedBytes: ctx.config.eventsMaxQueuedBytes });
    await follow(ctx, stream, {
      after,
      fileId: id,
      accept: (event) => event.fileId === id,
      first: (since) => stream.send({ id: since, type: 'status', data: statusBody(status) }),
      onEvent: async (event) => {
        if (event.type === 'file.deleted') return true;
        if (event.type === 'file.completed' || event.type === 'file.healed') whole = true;
        const settling = ['file.completed', 'file.healed', 'replica.stored', 'replica.failed'];
        return whole && settling.includes(event.type) && (await settled());
      },
    });
    // A file already whole and settled has nothing more to tell.
    if (whole && (await settled())) stream.end();
  };
}

/** `GET /files/<id>/history`: every event of the file the log holds, oldest first. */
export function fileHistory(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    const id = fileIdParam(req.params.id);
    const events: StoredEvent[] = [];
    let after = 0;
    for (;;) {
      const page = await ctx.events.read({ afterId: after, fileId: id, limit: PAGE });
      events.push(...page);
      if (page.length < PAGE || events.length >= REPLAY_MAX) break;
      after = page[page.length - 1]?.id ?? after;
    }
    if (events.length === 0 && !(await ctx.statuses.get(id))) throw new AppError('NOT_FOUND', 'no such file');
    res.json({ events: events.map(eventBody) });
  };
}
