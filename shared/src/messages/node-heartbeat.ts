import { z } from 'zod';
import { HttpUrl, NodeId, Timestamp } from './common.ts';

/** Event: a worker of a node is alive and serves downloads at `url`. Sent every few seconds. */
export const NodeHeartbeat = z.object({
  type: z.literal('NodeHeartbeat'),
  version: z.literal(1),
  node: NodeId,
  workerId: z.string().min(1).max(200),
  url: HttpUrl,
  at: Timestamp,
});
export type NodeHeartbeat = z.infer<typeof NodeHeartbeat>;
