import { z } from 'zod';
import { FileId, MediaType, NodeId, Sha256, Size } from './common.ts';

/** Most files one ReplicateFiles carries; ingest stops filling a batch well before it. */
export const MAX_FILES_PER_BATCH = 256;

/** One small file of a ReplicateFiles, bytes included (base64). */
export const InlineReplica = z.object({
  fileId: FileId,
  size: Size,
  sha256: Sha256,
  /** Display name, kept in the node's store as with ReplicateFile; never a path. */
  name: z.string().max(4096).optional(),
  /** The media type declared at upload, as in ReplicateFile. */
  contentType: MediaType.optional(),
  content: z.base64().max(1024 * 1024),
});
export type InlineReplica = z.infer<typeof InlineReplica>;

/**
 * Command to a node: hold verified copies of these small files, whose bytes travel inside. One
 * message for many files spares the broker and both ends most of the per-message work; ingest
 * fills a batch with whatever became due while the previous one was being confirmed.
 */
export const ReplicateFiles = z.object({
  type: z.literal('ReplicateFiles'),
  version: z.literal(1),
  node: NodeId,
  files: z.array(InlineReplica).min(1).max(MAX_FILES_PER_BATCH),
});
export type ReplicateFiles = z.infer<typeof ReplicateFiles>;
