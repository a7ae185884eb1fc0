import { PassThrough, type Readable } from 'node:stream';
import { AppError } from '../../../../shared/src/errors.ts';
import { discard, getStream } from '../../../../shared/src/http/get-stream.ts';
import type { Logger } from '../../../../shared/src/logger.ts';
import type { BackgroundWork } from '../../../../shared/src/process/background-work.ts';
import type { InstanceDirectory } from '../cluster/instance-directory.ts';
import type { PartStore } from './part-store.ts';
import type { UploadPart } from './s3-catalog.ts';

/** A peer that does not answer a removal within this long is left to its own sweep. */
const PEER_REMOVAL_TIMEOUT_MS = 5_000;

export interface ClusterPartsDeps {
  /** This instance's data directory's parts. */
  local: PartStore;
  /** This instance's id: what the parts it receives name as their holder. */
  instanceId: string;
  instances: Pick<InstanceDirectory, 'locate'>;
  clusterToken: string | undefined;
  background: BackgroundWork;
  logger: Logger;
}

/**
 * The bytes of multipart parts, wherever they are held. A part is written to the data directory
 * of the instance that received it (its `holder`); with several instances on one database, the
 * instance completing the upload reads each part held elsewhere from its holder, over
 * `GET /internal/s3-parts/<upload id>/<file>` with the cluster token. Parts held elsewhere are
 * removed by asking their holder, in the background; what a holder misses (it was down), its
 * own sweep of part folders that no upload owns removes within the hour.
 */
export class ClusterParts {
  constructor(private readonly deps: ClusterPartsDeps) {}

  get local(): PartStore {
    return this.deps.local;
  }

  /** Streams a part into this instance's data directory; its record names this instance as holder. */
  async write(
    uploadId: string,
    partNumber: number,
    source: Readable,
    maxBytes: number,
  ): Promise<{ file: string; size: number; holder: string }> {
    const written = await this.deps.local.write(uploadId, partNumber, source, maxBytes);
    return { ...written, holder: this.deps.instanceId };
  }

  isHeldHere(part: UploadPart): boolean {
    return part.holder === undefined || part.holder === this.deps.instanceId;
  }

  /** The first of `parts` held by an instance that is not live now (a completion would fail on it). */
  async firstUnreachable(parts: readonly UploadPart[]): Promise<UploadPart | undefined> {
    for (const part of parts) {
      if (!this.isHeldHere(part) && (await this.deps.instances.locate(part.holder)) === undefined)
        return part;
    }
    return undefined;
  }

  /**
   * A part's bytes, from here or from its holder. A holder that cannot be reached, or a stream
   * from it that breaks, fails with BAD_GATEWAY (S3's ServiceUnavailable): the part is not lost.
   */
  async open(part: UploadPart): Promise<Readable> {
    if (this.isHeldHere(part)) return this.deps.local.read(part.uploadId, part.file);
    const peer = await this.deps.instances.locate(part.holder);
    const unreadable = (why: string, cause?: unknown) =>
      new AppError(
        'BAD_GATEWAY',
        `part ${part.partNumber} could not be read from the instance holding it: ${why}`,
        {
          cause,
        },
      );
    if (peer === undefined) throw unreadable('it is not live');
    const response = await getStream(`${peer}/internal/s3-parts/${part.uploadId}/${part.file}`, {
      headers: this.authorization(),
    }).catch((err: unknown) => {
      throw unreadable('no answer', err);
    });
    if (response.statusCode !== 200) {
      discard(response);
      throw unreadable(`it answered ${response.statusCode}`);
    }
    // A cut connection would otherwise read as the client's abort (IncompleteBody).
    const bytes = new PassThrough();
    response.on('error', (err) => bytes.destroy(unreadable('the transfer broke', err)));
    bytes.on('close', () => response.destroy());
    return response.pipe(bytes);
  }

  /** Removes one part's bytes (a part sent again): here now, or by its holder. */
  async remove(part: UploadPart): Promise<void> {
    if (this.isHeldHere(part)) {
      await this.deps.local.remove(part.uploadId, part.file);
      return;
    }
    this.askHolder(part.holder, `${part.uploadId}/${part.file}`);
  }

  /** Removes an ended upload's parts: this instance's folder now, every other holder's through it. */
  async removeUpload(uploadId: string, parts: readonly UploadPart[]): Promise<void> {
    await this.deps.local.removeUpload(uploadId);
    const holders = new Set(parts.filter((part) => !this.isHeldHere(part)).map((part) => part.holder));
    for (const holder of holders) this.askHolder(holder, uploadId);
  }

  /** `DELETE /internal/s3-parts/<path>` on the holder, in the background; a failure is logged, not thrown. */
  private askHolder(holder: string | undefined, path: string): void {
    this.deps.background.run('removing S3 parts held by another instance', async () => {
      const log = this.deps.logger.child({ holder, parts: path });
      const peer = await this.deps.instances.locate(holder);
      if (peer === undefined) {
        log.info('the instance holding the parts is not live; its sweep removes them');
        return;
      }
      const response = await fetch(`${peer}/internal/s3-parts/${path}`, {
        method: 'DELETE',
        headers: this.authorization(),
        signal: AbortSignal.timeout(PEER_REMOVAL_TIMEOUT_MS),
      }).catch((err: unknown) => {
        log.warn({ err, peer }, 'could not ask for S3 parts to be removed; its sweep will');
        return undefined;
      });
      if (response && !response.ok)
        log.warn({ peer, status: response.status }, 'S3 parts were not removed; its sweep will');
    });
  }

  private authorization(): Record<string, string> {
    const token = this.deps.clusterToken;
    return token ? { authorization: `Bearer ${token}` } : {};
  }
}
