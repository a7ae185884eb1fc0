import { z } from 'zod';
import { FileId, NodeId } from './common.ts';

/** Event: a node found its copy damaged or missing and removed it; ingest re-replicates. */
export const ReplicaLost = z.object({
  type: z.literal('ReplicaLost'),
  version: z.literal(1),
  fileId: FileId,
  node: NodeId,
  reason: z.string().max(1000),
});
export type ReplicaLost = z.infer<typeof ReplicaLost>;
