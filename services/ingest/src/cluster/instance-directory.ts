import type { Logger } from '../../../../shared/src/logger.ts';
import type { InstanceRecord, MetadataStore } from '../store/metadata-store.ts';

/** How often an instance says it is alive, and reads where the others are. */
const ANNOUNCE_INTERVAL_MS = 5_000;
/** An instance unheard this long is taken for gone: its URL is no longer handed out. */
const STALE_AFTER_MS = 30_000;

/** An instance as `GET /instances` shows it. */
export interface InstanceView {
  id: string;
  url: string;
  lastSeen: string;
  /** Announced itself within the last 30 s. */
  alive: boolean;
  /** The instance answering. */
  self: boolean;
}

/**
 * Where the ingest instances sharing the database are: each announces its id and public URL in
 * the metadata store every 5 s and reads the others' at the same time, so a file's `origin`
 * (the instance holding its main copy) resolves to a URL without a query on every command.
 * With SQLite there is only this instance, and the directory only ever knows itself.
 */
export class InstanceDirectory {
  private known = new Map<string, InstanceRecord>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      metadata: MetadataStore;
      selfId: string;
      /** This instance's public URL (known once it listens). */
      selfUrl: () => string;
      logger: Logger;
    },
  ) {}

  /** Announces this instance now and then every 5 s; a failure is logged, and retried then. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), ANNOUNCE_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The URL of a live instance by id (this one's own always), from what was last read. */
  urlOf(id: string | undefined, nowMs = Date.now()): string | undefined {
    if (id === undefined) return undefined;
    if (id === this.deps.selfId) return this.deps.selfUrl();
    const known = this.known.get(id);
    return known && nowMs - known.lastSeenMs <= STALE_AFTER_MS ? known.url : undefined;
  }

  /** Like urlOf, but reads the registry again first when the instance is not known to be live. */
  async locate(id: string | undefined): Promise<string | undefined> {
    const url = this.urlOf(id);
    if (url !== undefined || id === undefined) return url;
    await this.refresh();
    return this.urlOf(id);
  }

  list(nowMs = Date.now()): InstanceView[] {
    const self: InstanceRecord = { id: this.deps.selfId, url: this.deps.selfUrl(), lastSeenMs: nowMs };
    const all = new Map(this.known);
    all.set(self.id, self);
    return [...all.values()]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((instance) => ({
        id: instance.id,
        url: instance.url,
        lastSeen: new Date(instance.lastSeenMs).toISOString(),
        alive: nowMs - instance.lastSeenMs <= STALE_AFTER_MS,
        self: instance.id === this.deps.selfId,
      }));
  }

  /** Announces this instance and reads the others; concurrent calls share one round. */
  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        await this.deps.metadata.announceInstance(this.deps.selfId, this.deps.selfUrl(), Date.now());
        const instances = await this.deps.metadata.listInstances();
        this.known = new Map(instances.map((instance) => [instance.id, instance]));
      } catch (err) {
        this.deps.logger.warn({ err }, 'could not refresh the registry of ingest instances');
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }
}
