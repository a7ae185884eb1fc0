import { z } from 'zod';
import { FileId, HttpUrl, MediaType, NodeId, Sha256, Size } from './common.ts';

/** Command to a node: hold a verified copy of this file. Routed by node id to that node's queue. */
export const ReplicateFile = z.object({
  type: z.literal('ReplicateFile'),
  version: z.literal(1),
  fileId: FileId,
  node: NodeId,
  size: Size,
  sha256: Sha256,
  /** Display name, kept in the node's store so a file can be recovered by hand; never a path. */
  name: z.string().max(4096).optional(),
  /** The media type declared at upload, so a node serves the file as ingest does. */
  contentType: MediaType.optional(),
  /** Where the worker pulls the bytes from (the ingest service's internal blob endpoint). */
  sourceUrl: HttpUrl,
  /**
   * Other places holding verified copies (nodes' `GET /files/<id>`), tried in order when
   * `sourceUrl` cannot serve the bytes: a file is healed even when its main copy is gone.
   */
  sources: z.array(HttpUrl).max(16).optional(),
  // A small file's bytes travel in a ReplicateFiles. The `content` older ingests put here is
  // stripped when parsed, so a worker pulls such a file from `sourceUrl` instead.
});
export type ReplicateFile = z.infer<typeof ReplicateFile>;
