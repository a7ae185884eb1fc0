import type { Logger } from '../../../../../shared/src/logger.ts';
import type { BackgroundWork } from '../../../../../shared/src/process/background-work.ts';
import type { MainCopies } from '../../main-copies/main-copies.ts';
import type { ClusterParts } from '../../s3/cluster-parts.ts';
import type { S3Catalog } from '../../s3/s3-catalog.ts';
import type { S3Objects } from '../../s3/s3-objects.ts';
import type { MetadataStore } from '../../store/metadata-store.ts';
import type { S3Credentials } from './sigv4/verify-request.ts';

/** What the S3 handlers work with; built once by start-s3-api.ts. */
export interface S3Context {
  catalog: S3Catalog;
  objects: S3Objects;
  /** Multipart parts: written here, read and removed wherever they are held. */
  parts: ClusterParts;
  metadata: MetadataStore;
  mainCopies: MainCopies;
  credentials: S3Credentials;
  /** The largest object (and so the largest part) accepted. */
  maxUploadBytes: number;
  /** A request's body must arrive within this long. */
  requestTimeoutMs: number;
  background: BackgroundWork;
  logger: Logger;
}
