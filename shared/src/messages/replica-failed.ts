import { z } from 'zod';
import { FileId, NodeId } from './common.ts';

/** Event: a node gave up on a copy after its retries (the status shows `failed` for that node). */
export const ReplicaFailed = z.object({
  type: z.literal('ReplicaFailed'),
  version: z.literal(1),
  fileId: FileId,
  node: NodeId,
  reason: z.string().max(1000),
});
export type ReplicaFailed = z.infer<typeof ReplicaFailed>;
