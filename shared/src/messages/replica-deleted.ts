import { z } from 'zod';
import { FileId, NodeId } from './common.ts';

/** Event: a node no longer holds this file. */
export const ReplicaDeleted = z.object({
  type: z.literal('ReplicaDeleted'),
  version: z.literal(1),
  fileId: FileId,
  node: NodeId,
});
export type ReplicaDeleted = z.infer<typeof ReplicaDeleted>;
