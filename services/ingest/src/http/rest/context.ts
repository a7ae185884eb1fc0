import type { Broker } from '../../../../../shared/src/broker/broker.ts';
import type { BlobStore } from '../../../../../shared/src/fs/blob-store.ts';
import type { Logger } from '../../../../../shared/src/logger.ts';
import type { BackgroundWork } from '../../../../../shared/src/process/background-work.ts';
import type { InstanceDirectory } from '../../cluster/instance-directory.ts';
import type { NodeRegistry } from '../../cluster/node-registry.ts';
import type { IngestConfig } from '../../config.ts';
import type { MainCopies } from '../../main-copies/main-copies.ts';
import type { CommandPublisher } from '../../replication/command-publisher.ts';
import type { MetadataStore } from '../../store/metadata-store.ts';
import type { UploadService } from '../../uploads/upload-service.ts';

/** What the ingest routes work with; built once by ingest-service.ts. */
export interface IngestContext {
  config: IngestConfig;
  blobs: BlobStore;
  mainCopies: MainCopies;
  metadata: MetadataStore;
  uploads: UploadService;
  publisher: CommandPublisher;
  registry: NodeRegistry;
  /** The ingest instances sharing the database (this one alone on SQLite). */
  instances: InstanceDirectory;
  /** False while the metadata database cannot be reached (/readyz). */
  metadataReachable: () => boolean;
  broker: Broker;
  background: BackgroundWork;
  logger: Logger;
}
