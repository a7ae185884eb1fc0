import express, { type Express } from 'express';
import { AppError } from '../../../shared/src/errors.ts';
import type { BlobStore } from '../../../shared/src/fs/blob-store.ts';
import { errorHandler, notFound } from '../../../shared/src/http/error-handler.ts';
import { createMetrics, type ServiceMetrics } from '../../../shared/src/http/metrics.ts';
import { requireToken } from '../../../shared/src/http/require-token.ts';
import { sendBlob } from '../../../shared/src/http/send-blob.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import { FileId } from '../../../shared/src/messages/common.ts';
import type { WorkerConfig } from './config.ts';
import type { ScrubReport } from './scrubber.ts';

export interface WorkerAppDeps {
  nodeId: string;
  store: BlobStore;
  logger: Logger;
  /** With protectDownloads, downloads need the API or the cluster token (ingest sends the latter). */
  access?: Pick<WorkerConfig, 'protectDownloads' | 'apiToken' | 'clusterToken'>;
  /** False until the worker consumes its node's queue visibly; `/healthz` answers 503 until then. */
  isReady?: () => boolean;
  /** Called when a download finds a copy damaged: drop it and report it lost. */
  onDamaged?: (fileId: string) => void;
  /** The worker's /metrics; a registry of its own when not given. */
  metrics?: ServiceMetrics;
  /** One scrub pass on demand (`POST /admin/scrub`, guarded by the cluster token). */
  scrub?: () => Promise<ScrubReport>;
  /** Sends the store's inventory now (`POST /admin/inventory`, cluster token); resolves with its size. */
  inventory?: () => Promise<number>;
}

/** A node worker's HTTP API: downloads of verified copies from this node's store only. */
export function createWorkerApp(deps: WorkerAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const metrics = deps.metrics ?? createMetrics({ service: 'node-worker', node: deps.nodeId });
  app.use(metrics.middleware);

  const downloadAuth = deps.access?.protectDownloads
    ? requireToken(deps.access.apiToken, deps.access.clusterToken)
    : requireToken();

  const scrub = deps.scrub;
  if (scrub) {
    app.post('/admin/scrub', requireToken(deps.access?.clusterToken), async (_req, res) => {
      const report = await scrub();
      res.json({ checked: report.checked, removed: report.removed });
    });
  }

  const inventory = deps.inventory;
  if (inventory) {
    app.post('/admin/inventory', requireToken(deps.access?.clusterToken), async (_req, res) => {
      res.json({ files: await inventory() });
    });
  }

  app.get('/files/:id', downloadAuth, async (req, res) => {
    const id = FileId.safeParse(req.params.id);
    if (!id.success) throw new AppError('INVALID_ID', 'file id must be a UUID');
    const record = await deps.store.get(id.data);
    if (!record) throw new AppError('NOT_FOUND', 'this node holds no copy of that file');
    await sendBlob(req, res, {
      size: record.size,
      sha256: record.sha256,
      name: record.name ?? record.id,
      contentType: record.contentType,
      // A damaged copy never goes out whole: the read fails before its last chunk.
      open: (range) =>
        deps.store.readVerified(record, range, () => {
          deps.logger.error({ fileId: record.id }, 'a download found this replica damaged');
          deps.onDamaged?.(record.id);
        }),
    });
  });
  app.get('/healthz', (_req, res) => {
    if (deps.isReady && !deps.isReady())
      throw new AppError('NOT_READY', 'starting: not consuming its queue yet');
    res.json({ status: 'ok', node: deps.nodeId });
  });
  app.use(metrics.router);
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
