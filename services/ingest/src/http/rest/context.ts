import type { Broker } from '../../../../shared/src/broker/broker.ts';
import type { BlobStore } from '../../../../shared/src/fs/blob-store.ts';
import type { Logger } from '../../../../shared/src/logger.ts';
import type { IngestConfig } from '../config.ts';
import type { GroupCommit } from '../group-commit.ts';
import type { MainCopies } from '../main-copy.ts';
import type { MetadataStore } from '../metadata-store.ts';
import type { NodeRegistry } from '../node-registry.ts';
import type { Replication } from '../replication.ts';
import type { SmallFileWriter } from '../small-file-writer.ts';

/** What the ingest routes work with; built once by ingest-service.ts. */
export interface IngestContext {
  config: IngestConfig;
  blobs: BlobStore;
  mainCopies: MainCopies;
  metadata: MetadataStore;
  /** Where uploads record their files: one fsynced commit for all that finish together. */
  admissions: GroupCommit;
  /** Where uploads read into memory are stored: one round of fsyncs for all that arrive together. */
  smallFiles: SmallFileWriter;
  replication: Replication;
  registry: NodeRegistry;
  broker: Broker;
  logger: Logger;
}
