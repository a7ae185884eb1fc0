import type { Broker } from '../../../../../shared/src/broker/broker.ts';
import type { BlobStore } from '../../../../../shared/src/fs/blob-store.ts';
import type { ServiceMetrics } from '../../../../../shared/src/http/metrics.ts';
import type { Logger } from '../../../../../shared/src/logger.ts';
import type { BackgroundWork } from '../../../../../shared/src/process/background-work.ts';
import type { ClusterStats } from '../../cluster/cluster-stats.ts';
import type { FileStatuses } from '../../cluster/file-statuses.ts';
import type { InstanceDirectory } from '../../cluster/instance-directory.ts';
import type { Maintenance } from '../../cluster/maintenance.ts';
import type { Membership } from '../../cluster/membership.ts';
import type { NodeAdmin } from '../../cluster/node-admin.ts';
import type { IngestConfig } from '../../config.ts';
import type { EventFeed } from '../../events/event-feed.ts';
import type { EventLog } from '../../events/event-log.ts';
import type { MainCopies } from '../../main-copies/main-copies.ts';
import type { CommandPublisher } from '../../replication/command-publisher.ts';
import type { S3Storage } from '../../s3/open-s3-storage.ts';
import type { MembershipStore } from '../../store/membership-store.ts';
import type { MetadataStore } from '../../store/metadata-store.ts';
import type { ResumableUploads } from '../../uploads/resumable/resumable-uploads.ts';
import type { UploadService } from '../../uploads/upload-service.ts';

/** What the ingest routes work with; built once by ingest-service.ts. */
export interface IngestContext {
  config: IngestConfig;
  blobs: BlobStore;
  mainCopies: MainCopies;
  metadata: MetadataStore;
  /** File statuses with the nodes' states applied: what every read shows. */
  statuses: FileStatuses;
  uploads: UploadService;
  /** Uploads that arrive in pieces (the tus front end). */
  resumableUploads: ResumableUploads;
  publisher: CommandPublisher;
  membership: Membership;
  nodes: MembershipStore;
  nodeAdmin: NodeAdmin;
  /** What an operator can start: the cluster report, a repair, a scrub of the main copies. */
  maintenance: Maintenance;
  /** The ingest instances sharing the database (this one alone on SQLite). */
  instances: InstanceDirectory;
  /** False while the metadata database cannot be reached (/readyz). */
  metadataReachable: () => boolean;
  /** The cluster's event log (history, SSE replays) and its live tail. */
  events: EventLog;
  feed: EventFeed;
  /** The cluster in figures (counts, queue backlogs, dead letters), a second old at most. */
  cluster: ClusterStats;
  /** This process's /metrics: the HTTP counters and what the services register. */
  metrics: ServiceMetrics;
  broker: Broker;
  /** The S3 front end's state when it is on: the other instances read and remove parts held here. */
  s3?: S3Storage | undefined;
  background: BackgroundWork;
  logger: Logger;
}
