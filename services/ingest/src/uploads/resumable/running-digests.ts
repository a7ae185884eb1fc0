import { createHash, type Hash } from 'node:crypto';
import type { Digest } from '../../../../../shared/src/fs/blob-store.ts';

/**
 * The SHA-256 of each upload's durable bytes, carried forward write by write, so that a finished
 * upload becomes a file without its bytes being read again. In memory only: after a restart, or
 * for an upload whose earlier bytes another life of the process took, there is none, and the
 * hand-over hashes the file instead (one sequential read).
 */
export class RunningDigests {
  private readonly known = new Map<string, { hash: Hash; bytes: number }>();

  /**
   * A hash for one write starting at `offset`, already fed the bytes before it; undefined when
   * they are not known. The write feeds its own copy, so a write that is discarded changes nothing.
   */
  fork(id: string, offset: number): Hash | undefined {
    if (offset === 0) return createHash('sha256');
    const entry = this.known.get(id);
    return entry?.bytes === offset ? entry.hash.copy() : undefined;
  }

  /** The write fed to `hash` was kept, and the upload now holds `bytes`. */
  commit(id: string, hash: Hash | undefined, bytes: number): void {
    if (hash) this.known.set(id, { hash, bytes });
    else this.known.delete(id);
  }

  /** The digest of an upload's first `bytes` bytes, when they are known. */
  digest(id: string, bytes: number): Digest | undefined {
    const entry = this.known.get(id);
    if (entry?.bytes !== bytes) return undefined;
    return { sha256: entry.hash.copy().digest('hex'), size: bytes };
  }

  forget(id: string): void {
    this.known.delete(id);
  }
}
