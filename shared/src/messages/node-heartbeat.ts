import { z } from 'zod';
import { HttpUrl, NodeId, Size, Timestamp } from './common.ts';

/** A failure domain's name (a rack, a room, a host): 1-64 letters, digits, `.`, `-` or `_`. */
export const Zone = z.string().regex(/^[a-zA-Z0-9._-]{1,64}$/);

/**
 * Event: a worker of a node is alive and serves downloads at `url`. Sent every few seconds; a node
 * joins the cluster by its first heartbeat. The store's size and zone (optional: workers of an
 * earlier release do not send them) let ingest place files by free space and spread them over
 * failure domains.
 */
export const NodeHeartbeat = z.object({
  type: z.literal('NodeHeartbeat'),
  version: z.literal(1),
  node: NodeId,
  workerId: z.string().min(1).max(200),
  url: HttpUrl,
  at: Timestamp,
  zone: Zone.optional(),
  /** Bytes the node's store may still take, and its size, as the filesystem reports them. */
  freeBytes: Size.optional(),
  totalBytes: Size.optional(),
});
export type NodeHeartbeat = z.infer<typeof NodeHeartbeat>;
