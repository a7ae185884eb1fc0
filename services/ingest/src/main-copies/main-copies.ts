import type { Readable, Writable } from 'node:stream';
import { AppError } from '../../../../shared/src/errors.ts';
import type { BlobStore } from '../../../../shared/src/fs/blob-store.ts';
import { pumpFile } from '../../../../shared/src/fs/pump-file.ts';
import { discard, getStream } from '../../../../shared/src/http/get-stream.ts';
import type { Logger } from '../../../../shared/src/logger.ts';
import type { BackgroundWork } from '../../../../shared/src/process/background-work.ts';
import type { Membership } from '../cluster/membership.ts';
import type { FileStatus } from '../store/metadata-store.ts';

/**
 * Ingest's main copies: read verified, and repaired from a node holding a verified replica
 * when one is missing or damaged. A repair streams through the same atomic, checked write as
 * an upload, so a repaired copy is as trustworthy as the original.
 */
export class MainCopies {
  private readonly repairing = new Set<string>();

  constructor(
    private readonly deps: {
      blobs: BlobStore;
      membership: Pick<Membership, 'urlOf'>;
      clusterToken: string | undefined;
      background: BackgroundWork;
      logger: Logger;
    },
  ) {}

  /** True when the main copy is present and its receipt matches the metadata. */
  async isIntact(file: FileStatus): Promise<boolean> {
    const local = await this.deps.blobs.get(file.id);
    return local !== undefined && local.sha256 === file.sha256 && local.size === file.size;
  }

  /**
   * The main copy's bytes. A whole-file read is verified as it streams: on a mismatch the copy
   * is dropped, a repair starts, and the reader's stream fails before its last chunk.
   */
  read(file: FileStatus, range?: { start: number; end: number }): Readable {
    return this.deps.blobs.readVerified(file, range, () => {
      this.deps.logger.error(
        { fileId: file.id },
        'main copy is damaged; removing it and repairing from a node',
      );
      this.deps.background.run('removing a damaged main copy', async () => {
        await this.deps.blobs.remove(file.id);
        this.repair(file);
      });
    });
  }

  /** Writes the main copy's bytes as they are on disk to a reader that checks them itself. */
  sendUnchecked(file: FileStatus, range: { start: number; end: number }, out: Writable): Promise<void> {
    return pumpFile(this.deps.blobs.blobPath(file.id), range, out);
  }

  /** A node that is not down holding a verified replica, if any. */
  async replicaSource(file: FileStatus): Promise<{ node: string; url: string } | undefined> {
    for (const receipt of file.nodes) {
      if (receipt.state !== 'stored' || receipt.sha256 !== file.sha256) continue;
      const url = await this.deps.membership.urlOf(receipt.node);
      if (url) return { node: receipt.node, url };
    }
    return undefined;
  }

  /** Streams the file (or a range) from a node. */
  async fetchFromNode(url: string, id: string, range?: { start: number; end: number }): Promise<Readable> {
    const headers: Record<string, string> = range ? { range: `bytes=${range.start}-${range.end}` } : {};
    // A node that protects its downloads lets ingest in with the cluster token.
    if (this.deps.clusterToken) headers.authorization = `Bearer ${this.deps.clusterToken}`;
    const response = await getStream(`${url}/files/${id}`, { headers });
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      discard(response);
      throw new AppError('BAD_GATEWAY', 'the node holding the replica did not answer');
    }
    return response;
  }

  /** Starts rebuilding the main copy from a node (once per file at a time); never throws. */
  repair(file: FileStatus): void {
    if (this.repairing.has(file.id)) return;
    this.repairing.add(file.id);
    this.deps.background.run('repairing a main copy', async () => {
      const source = await this.replicaSource(file);
      if (!source) {
        this.repairing.delete(file.id);
        this.deps.logger.error(
          { fileId: file.id },
          'main copy unavailable and no node holds a verified replica',
        );
        return;
      }
      const log = this.deps.logger.child({ fileId: file.id, node: source.node });
      try {
        const bytes = await this.fetchFromNode(source.url, file.id);
        await this.deps.blobs.put(file.id, bytes, {
          expectedSha256: file.sha256,
          expectedSize: file.size,
          name: file.name,
          ...(file.contentType !== undefined ? { contentType: file.contentType } : {}),
        });
        log.info('main copy repaired from a node');
      } catch (err) {
        log.warn({ err }, 'main copy repair failed; the next read tries again');
      } finally {
        this.repairing.delete(file.id);
      }
    });
  }
}
