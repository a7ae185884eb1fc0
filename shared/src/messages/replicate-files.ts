import { z } from 'zod';
import { env } from '../config.ts';
import { FileId, MediaType, NodeId, Sha256, Size } from './common.ts';

/** Most files one ReplicateFiles carries; ingest stops filling a batch well before it. */
export const MAX_FILES_PER_BATCH = 256;

/**
 * The largest file whose bytes may travel inside a command: 768 KiB, which is 1 MiB of base64.
 * `DFR_INLINE_MAX_BYTES` cannot exceed it, so no command ingest builds can fail this schema.
 */
export const MAX_INLINE_FILE_BYTES = 768 * 1024;
/**
 * DFR_INLINE_MAX_BYTES, read by ingest and by every worker: the one "small" threshold. A file up
 * to it is stored as a row of its store's small-file table (ingest's and each node's) and
 * travels inside a ReplicateFiles; a larger one is a plain file that workers pull.
 */
export const smallFileMaxBytes = () =>
  env.nonNegativeInt(64 * 1024, MAX_INLINE_FILE_BYTES, 'the most a replication command can carry inline');

const MAX_INLINE_BASE64_CHARS = (MAX_INLINE_FILE_BYTES / 3) * 4;

/** One small file of a ReplicateFiles, bytes included (base64). */
export const InlineReplica = z.object({
  fileId: FileId,
  size: Size,
  sha256: Sha256,
  /** Display name, kept in the node's store as with ReplicateFile; never a path. */
  name: z.string().max(4096).optional(),
  /** The media type declared at upload, as in ReplicateFile. */
  contentType: MediaType.optional(),
  content: z.base64().max(MAX_INLINE_BASE64_CHARS),
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
