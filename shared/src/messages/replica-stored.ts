import { z } from 'zod';
import { FileId, NodeId, Sha256, Size, Timestamp } from './common.ts';

/** Event: a node holds a copy whose SHA-256 it computed itself. Ingest counts it only if the hash matches. */
export const ReplicaStored = z.object({
  type: z.literal('ReplicaStored'),
  version: z.literal(1),
  fileId: FileId,
  node: NodeId,
  sha256: Sha256,
  size: Size,
  storedAt: Timestamp,
});
export type ReplicaStored = z.infer<typeof ReplicaStored>;
