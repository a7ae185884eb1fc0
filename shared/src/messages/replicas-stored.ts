import { z } from 'zod';
import { FileId, NodeId, Sha256, Size, Timestamp } from './common.ts';
import { MAX_FILES_PER_BATCH } from './replicate-files.ts';

/** One copy of a ReplicasStored: what the node computed itself, as in ReplicaStored. */
export const StoredReplica = z.object({
  fileId: FileId,
  sha256: Sha256,
  size: Size,
  storedAt: Timestamp,
});
export type StoredReplica = z.infer<typeof StoredReplica>;

/** Event: a node holds these copies (the answer to a ReplicateFiles); each counts as a ReplicaStored. */
export const ReplicasStored = z.object({
  type: z.literal('ReplicasStored'),
  version: z.literal(1),
  node: NodeId,
  replicas: z.array(StoredReplica).min(1).max(MAX_FILES_PER_BATCH),
});
export type ReplicasStored = z.infer<typeof ReplicasStored>;
