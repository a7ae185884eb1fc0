import type { BlobStore } from '../../../../shared/src/fs/blob-store.ts';
import type { ScrubReport } from '../../../../shared/src/fs/scrub-store.ts';
import type { MainCopies } from '../main-copies/main-copies.ts';
import type { MainCopyScrubber } from '../main-copies/main-copy-scrubber.ts';
import type { Reconciler } from '../replication/reconciler.ts';
import type { MetadataStore } from '../store/metadata-store.ts';
import { type FsckReport, fsck } from './fsck.ts';
import type { Healer } from './healer.ts';
import type { Membership } from './membership.ts';

export interface MaintenanceDeps {
  metadata: MetadataStore;
  membership: Membership;
  blobs: BlobStore;
  mainCopies: MainCopies;
  healer: Pick<Healer, 'runOnce'>;
  reconciler: Pick<Reconciler, 'runOnce'>;
  scrubber: Pick<MainCopyScrubber, 'runOnce'>;
  /** This instance: the main copies it holds are the ones it can check and repair. */
  instanceId: string;
}

const PAGE = 1_000;

/** What an operator can start by hand: the cluster report, a repair, a scrub of the main copies. */
export class Maintenance {
  constructor(private readonly deps: MaintenanceDeps) {}

  fsck(): Promise<FsckReport> {
    return fsck({
      metadata: this.deps.metadata,
      membership: this.deps.membership,
      hasMainCopy: (f) => this.hasMainCopy(f),
    });
  }

  /**
   * Starts every repair that can start now: a healing pass (missing replicas placed, extras
   * trimmed), the outbox's due commands, and the rebuilding of this instance's missing or
   * damaged main copies from nodes. Copies under way land later.
   */
  async repair(): Promise<void> {
    await this.deps.healer.runOnce();
    await this.deps.reconciler.runOnce();
    let cursor: string | undefined;
    do {
      const page = await this.deps.metadata.listFiles(PAGE, cursor);
      for (const file of page.files) {
        const ours = file.origin === undefined || file.origin === this.deps.instanceId;
        if (ours && !(await this.hasMainCopy(file))) this.deps.mainCopies.repair(file);
      }
      cursor = page.next ?? undefined;
    } while (cursor);
  }

  scrub(): Promise<ScrubReport> {
    return this.deps.scrubber.runOnce();
  }

  private async hasMainCopy(file: { id: string; sha256: string; size: number }): Promise<boolean> {
    const held = await this.deps.blobs.get(file.id);
    return held?.sha256 === file.sha256 && held.size === file.size;
  }
}
