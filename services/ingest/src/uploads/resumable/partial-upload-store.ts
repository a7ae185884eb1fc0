import type { Writable } from 'node:stream';
import { z } from 'zod';
import { FileId, Timestamp } from '../../../../../shared/src/messages/common.ts';

/** Upload ids are 128 random bits in hex; nothing else is ever used as a name on disk. */
export const UploadId = z.string().regex(/^[0-9a-f]{32}$/, 'not an upload id');

/** A resumable upload as its durable record says, between creation and expiry. */
export const PartialUpload = z.object({
  id: UploadId,
  /** The bytes the upload will have (tus Upload-Length). */
  length: z.number().int().nonnegative(),
  /** The bytes durable so far. The record moves only after they were fsynced. */
  offset: z.number().int().nonnegative(),
  /** The file's display name and media type, already reduced (displayName, declaredMediaType). */
  name: z.string(),
  contentType: z.string().optional(),
  /** The client's own description of the upload (tus Upload-Metadata), handed back as it came. */
  clientMetadata: z.string().optional(),
  createdAt: Timestamp,
  /** The upload is refused after this and swept; every write moves it on. */
  expiresAt: Timestamp,
  /** The file made of the bytes: set before its record is committed, so a crash can tell. */
  fileId: FileId.optional(),
  /** When the bytes became that file; from then on the record only remembers which file it is. */
  finishedAt: Timestamp.optional(),
});
export type PartialUpload = z.infer<typeof PartialUpload>;

/** One write into an upload's bytes, from the offset it started at. */
export interface PartialWrite {
  /** Takes the bytes; fails with TooLargeError, writing none of that chunk, past `maxBytes`. */
  readonly sink: Writable;
  /** Bytes that reached the file so far (none counted while still only buffered). */
  readonly written: number;
  /** Makes what was written durable (fsync) and ends the write. Safe once `sink` failed. */
  keep(): Promise<void>;
  /** Cuts the file back to where the write started and ends the write. Safe once `sink` failed. */
  discard(): Promise<void>;
}

export interface WriteOptions {
  /** The most bytes this write takes. */
  maxBytes: number;
  /** Sees each chunk once it reached the file, in order: a hash here covers exactly `written`. */
  onWritten?: (chunk: Buffer) => void;
}

/**
 * Where resumable uploads keep their bytes and records until they become files. A record never
 * claims bytes that are not durable: the caller keeps a write (fsync) before it saves the offset
 * that covers it, and a write starts by dropping whatever lies past its offset, so bytes a crash
 * or a discarded write left behind are never counted.
 */
export interface PartialUploadStore {
  /** Creates what the store needs and removes bytes whose record a crash kept from being written. */
  open(): Promise<void>;
  /** Records a new upload with an empty file for its bytes, both durable when it resolves. */
  create(upload: PartialUpload): Promise<void>;
  /** The record, or undefined when there is none (never created, terminated or swept). */
  get(id: string): Promise<PartialUpload | undefined>;
  /** Every record, in no particular order. */
  list(): AsyncIterable<PartialUpload>;
  /** Replaces the record, durably. */
  save(upload: PartialUpload): Promise<void>;
  /** Starts writing the bytes at `offset`. One write per upload at a time: the caller locks. */
  write(id: string, offset: number, options: WriteOptions): Promise<PartialWrite>;
  /**
   * The bytes as one plain file on the data directory's filesystem, for the blob store to take
   * over by a hard link (BlobStore.adopt) once the upload is complete.
   */
  bytesPath(id: string): string;
  /** Drops the bytes and keeps the record (a finished upload's, which now names its file). */
  removeBytes(id: string): Promise<void>;
  /** Drops the record, then the bytes: half done, it leaves only bytes, which open() sweeps. */
  remove(id: string): Promise<void>;
}
