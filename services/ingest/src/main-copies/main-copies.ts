import type { Readable, Writable } from 'node:stream';
import { AppError } from '../../../../shared/src/errors.ts';
import { pumpFile } from '../../../../shared/src/fs/pump-file.ts';
import type { TieredBlobStore } from '../../../../shared/src/fs/tiered-blob-store.ts';
import { discard, getStream } from '../../../../shared/src/http/get-stream.ts';
import type { Logger } from '../../../../shared/src/logger.ts';
import type { BackgroundWork } from '../../../../shared/src/process/background-work.ts';
import type { InstanceDirectory } from '../cluster/instance-directory.ts';
import type { Membership } from '../cluster/membership.ts';
import type { FileRecord, FileStatus } from '../store/metadata-store.ts';

/** A peer instance that does not answer a removal within this long is left to its orphan sweep. */
const PEER_REMOVAL_TIMEOUT_MS = 5_000;

/**
 * Ingest's main copies: read verified, and repaired from a node holding a verified replica
 * when one is missing or damaged. A repair streams through the same atomic, checked write as
 * an upload, so a repaired copy is as trustworthy as the original.
 *
 * With several instances on one database, each file's main copy lives in the data directory of
 * the instance that took the upload (its `origin`); the others read it from there, over that
 * instance's `/internal/blobs/<id>`, or from a node when that instance does not answer.
 */
export class MainCopies {
  private readonly repairing = new Set<string>();

  constructor(
    private readonly deps: {
      blobs: TieredBlobStore;
      membership: Pick<Membership, 'urlOf'>;
      /** This instance's id, what the files it holds name as their origin. */
      instanceId: string;
      instances: InstanceDirectory;
      clusterToken: string | undefined;
      background: BackgroundWork;
      logger: Logger;
    },
  ) {}

  /** True when this instance's data directory is where the file's main copy belongs. */
  isHeldHere(file: FileRecord): boolean {
    return file.origin === undefined || file.origin === this.deps.instanceId;
  }

  /**
   * The bytes of a main copy another instance holds: from that instance (verified as they
   * stream when `verify`, as its own downloads are), else from a node with a verified replica.
   * NOT_READY (503) when neither answers: the holder may be restarting, and the file is not gone.
   */
  async openElsewhere(
    file: FileStatus,
    range: { start: number; end: number } | undefined,
    verify: boolean,
  ): Promise<Readable> {
    const log = this.deps.logger.child({ fileId: file.id, origin: file.origin });
    const peer = await this.deps.instances.locate(file.origin);
    if (peer) {
      try {
        return await this.fetch(`${peer}/internal/blobs/${file.id}${verify ? '?verify=1' : ''}`, range);
      } catch (err) {
        log.warn({ err, peer }, 'the instance holding the main copy did not serve it; trying a node');
      }
    }
    const source = await this.replicaSource(file);
    if (!source) {
      throw new AppError(
        'NOT_READY',
        'the instance holding the main copy cannot be reached and no node holds a verified replica',
      );
    }
    return this.fetchFromNode(source.url, file.id, range);
  }

  /**
   * Removes the main copy of a deleted file: here, or, when another instance holds it, by asking
   * that instance (`DELETE /internal/blobs/<id>`), in the background. An instance that cannot be
   * reached removes it with its orphan sweep (at start and every hour), so none is kept for good.
   */
  async remove(file: FileRecord): Promise<void> {
    if (this.isHeldHere(file)) {
      await this.deps.blobs.remove(file.id);
      return;
    }
    this.deps.background.run('removing a main copy held by another instance', async () => {
      const log = this.deps.logger.child({ fileId: file.id, origin: file.origin });
      const peer = await this.deps.instances.locate(file.origin);
      if (!peer) {
        log.info('the instance holding the main copy is not live; its orphan sweep removes it');
        return;
      }
      const response = await fetch(`${peer}/internal/blobs/${file.id}`, {
        method: 'DELETE',
        headers: this.authorization(),
        signal: AbortSignal.timeout(PEER_REMOVAL_TIMEOUT_MS),
      }).catch((err: unknown) => {
        log.warn({ err, peer }, 'could not ask for the main copy to be removed; its orphan sweep will');
        return undefined;
      });
      if (response && !response.ok) {
        log.warn({ peer, status: response.status }, 'the main copy was not removed; its orphan sweep will');
      }
    });
  }

  /**
   * A file's bytes (or the inclusive range) for a reader, wherever they are: the main copy here,
   * verified as it streams when whole; the instance holding it; or, while a missing or damaged
   * main copy is repaired, a node with a verified replica. NOT_FOUND when no copy is readable.
   * Every front end's downloads go through here.
   */
  async openForReading(file: FileStatus, range?: { start: number; end: number }): Promise<Readable> {
    if (!this.isHeldHere(file)) return this.openElsewhere(file, range, true);
    if (await this.isIntact(file)) return this.read(file, range);
    this.repair(file);
    const source = await this.replicaSource(file);
    if (!source) throw new AppError('NOT_FOUND', 'no readable copy of this file is available');
    this.deps.logger.warn(
      { fileId: file.id, node: source.node },
      'main copy unavailable; serving from a node',
    );
    return this.fetchFromNode(source.url, file.id, range);
  }

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
  async sendUnchecked(file: FileStatus, range: { start: number; end: number }, out: Writable): Promise<void> {
    const path = this.deps.blobs.plainPath(file.id);
    if (path) return pumpFile(path, range, out);
    // A small file: one buffer, written at once (the caller ends `out`).
    const bytes = await this.deps.blobs.bytesOf(file.id);
    if (!bytes || bytes.length <= range.end) throw new Error('the main copy is shorter than the range');
    out.write(bytes.subarray(range.start, range.end + 1));
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
  fetchFromNode(url: string, id: string, range?: { start: number; end: number }): Promise<Readable> {
    return this.fetch(`${url}/files/${id}`, range);
  }

  /** GET of a copy elsewhere, with the cluster token (a node that protects downloads, a peer). */
  private async fetch(url: string, range?: { start: number; end: number }): Promise<Readable> {
    const headers: Record<string, string> = {
      ...this.authorization(),
      ...(range ? { range: `bytes=${range.start}-${range.end}` } : {}),
    };
    const response = await getStream(url, { headers });
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      discard(response);
      throw new AppError('BAD_GATEWAY', `the holder of the copy answered ${status}`);
    }
    return response;
  }

  private authorization(): Record<string, string> {
    const token = this.deps.clusterToken;
    return token ? { authorization: `Bearer ${token}` } : {};
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
