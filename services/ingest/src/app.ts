import express, { type Express } from 'express';
import { AppError } from '../../../shared/src/errors.ts';
import { errorHandler, notFound } from '../../../shared/src/http/error-handler.ts';
import { createMetrics } from '../../../shared/src/http/metrics.ts';
import { requireToken } from '../../../shared/src/http/require-token.ts';
import type { IngestContext } from './routes/context.ts';
import { downloadFile, internalBlob } from './routes/download.ts';
import { deleteFile, getStatus, listFiles, listNodes } from './routes/files.ts';
import { multipartUpload, rawUpload } from './routes/upload.ts';

/** The ingest HTTP API (API.md), built from its dependencies so tests can mount it on port 0. */
export function createIngestApp(ctx: IngestContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const metrics = createMetrics({ service: 'ingest' });
  app.use(metrics.middleware);

  const apiAuth = requireToken(ctx.config.apiToken);
  const clusterAuth = requireToken(ctx.config.clusterToken);

  app.post('/files', apiAuth, ...multipartUpload(ctx));
  app.put('/files/:name', apiAuth, rawUpload(ctx));
  app.get('/files', listFiles(ctx));
  app.get('/files/:id/status', getStatus(ctx));
  app.get('/files/:id', downloadFile(ctx));
  app.delete('/files/:id', apiAuth, deleteFile(ctx));
  app.get('/internal/blobs/:id', clusterAuth, internalBlob(ctx));
  app.get('/nodes', listNodes(ctx));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    if (!ctx.broker.isConnected()) throw new AppError('NOT_READY', 'not connected to the message broker');
    res.json({ status: 'ready' });
  });
  app.use(metrics.router);
  app.use(notFound);
  app.use(errorHandler(ctx.logger));
  return app;
}
