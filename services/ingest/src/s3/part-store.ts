import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { writeAtomically } from '../../../../shared/src/fs/atomic-write.ts';
import { pathInside } from '../../../../shared/src/fs/safe-path.ts';

/** Upload ids as `newUploadId` makes them; nothing else is ever used as a folder name. */
const UPLOAD_ID = /^[0-9a-z]{9}-[0-9a-f]{24}$/;
const PART_FILE = /^\d{1,5}-[0-9a-f]{16}$/;

/** A new multipart upload id: its creation time first, so ids sort by age. */
export function newUploadId(nowMs = Date.now()): string {
  return `${nowMs.toString(36).padStart(9, '0')}-${randomBytes(12).toString('hex')}`;
}

export function isUploadId(value: string): boolean {
  return UPLOAD_ID.test(value);
}

/** A part file's name as `write` makes them: `<part number>-<nonce>`. */
export function isPartFile(value: string): boolean {
  return PART_FILE.test(value);
}

/**
 * The bytes of multipart upload parts until the upload is completed or aborted:
 * `<data dir>/s3-parts/<upload id>/<part number>-<nonce>`, each written like a blob (temporary
 * file in the data directory's `.tmp/`, fsync, rename, directory fsync). A re-sent part gets a
 * new nonce, so two sends of one part never write the same file; the catalog says which is current.
 */
export class PartStore {
  constructor(
    private readonly root: string,
    private readonly tmpDir: string,
  ) {}

  async open(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  /** Streams a part in; resolves with its file name once durable. Fails past maxBytes, keeping nothing. */
  async write(
    uploadId: string,
    partNumber: number,
    source: Readable,
    maxBytes: number,
  ): Promise<{ file: string; size: number }> {
    const file = `${partNumber}-${randomBytes(8).toString('hex')}`;
    const digest = await writeAtomically(source, this.path(uploadId, file), {
      tmpDir: this.tmpDir,
      maxBytes,
    });
    return { file, size: digest.size };
  }

  /** A part's bytes, or the inclusive range of them. */
  read(uploadId: string, file: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.path(uploadId, file), range ? { start: range.start, end: range.end } : {});
  }

  /** A part's size on disk, or undefined when it is not here. */
  async size(uploadId: string, file: string): Promise<number | undefined> {
    const info = await stat(this.path(uploadId, file)).catch(() => undefined);
    return info?.isFile() ? info.size : undefined;
  }

  async remove(uploadId: string, file: string): Promise<void> {
    await rm(this.path(uploadId, file), { force: true });
  }

  /** Removes an upload's folder with every part in it. */
  async removeUpload(uploadId: string): Promise<void> {
    await rm(this.folder(uploadId), { recursive: true, force: true });
  }

  /** The upload folders on disk with their age, for the sweep of folders no upload owns. */
  async folders(): Promise<{ uploadId: string; modifiedMs: number }[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    const found: { uploadId: string; modifiedMs: number }[] = [];
    for (const name of names.filter(isUploadId)) {
      const info = await stat(this.folder(name)).catch(() => undefined);
      if (info) found.push({ uploadId: name, modifiedMs: info.mtimeMs });
    }
    return found;
  }

  private folder(uploadId: string): string {
    if (!isUploadId(uploadId)) throw new Error(`not an upload id: ${uploadId.slice(0, 40)}`);
    return pathInside(this.root, uploadId);
  }

  private path(uploadId: string, file: string): string {
    if (!PART_FILE.test(file)) throw new Error(`not a part file: ${file.slice(0, 40)}`);
    return pathInside(this.folder(uploadId), file);
  }
}
