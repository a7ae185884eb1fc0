import express, { type Express } from 'express';
import { AppError } from '../../../../shared/src/errors.ts';
import { errorHandler, notFound } from '../../../../shared/src/http/error-handler.ts';
import { expectContinue } from '../../../../shared/src/http/expect-continue.ts';
import { requestDeadline } from '../../../../shared/src/http/request-deadline.ts';
import { requireToken } from '../../../../shared/src/http/require-token.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../config.ts';
import { dashboardRoutes } from './dashboard/dashboard-routes.ts';
import { readAuth as readSessionAuth } from './dashboard/read-session.ts';
import { fsckRepair, fsckReport, scrubMainCopies } from './rest/admin.ts';
import type { IngestContext } from './rest/context.ts';
import { downloadFile, internalBlob, removeInternalBlob } from './rest/download.ts';
import { clusterEvents, fileEvents, fileHistory } from './rest/events.ts';
import { deleteFile, getStatus, listFiles, listInstances } from './rest/files.ts';
import { MULTIPART_OVERHEAD_BYTES, multipartUpload } from './rest/multipart-upload.ts';
import { cancelDrain, listNodes, removeNode, startDrain } from './rest/nodes.ts';
import { checkUploadQuery, rawUpload, refuseDeclaredOversize } from './rest/upload.ts';
import { internalPartsRouter } from './s3/internal-parts.ts';
import { tusRouter } from './tus/tus-router.ts';

/** The ingest HTTP API (API.md), built from its dependencies so tests can mount it on port 0. */
export function createIngestApp(ctx: IngestContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const metrics = ctx.metrics;
  app.use(metrics.middleware);

  const apiAuth = requireToken(ctx.config.apiToken);
  const clusterAuth = requireToken(ctx.config.clusterToken);
  // Reads also take the read session cookie, which the dashboard's EventSource streams carry.
  const readAuth = readSessionAuth(ctx.config.apiToken, ctx.config.protectDownloads ?? false);
  const maxBytes = ctx.config.maxUploadBytes;
  // Checks that may refuse an upload run before `100 Continue` invites its body.
  const beforeBody = (framingBytes: number) => [
    requestDeadline(ctx.config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
    apiAuth,
    checkUploadQuery,
    refuseDeclaredOversize(maxBytes, framingBytes),
    expectContinue,
  ];

  app.post('/files', ...beforeBody(MULTIPART_OVERHEAD_BYTES), ...multipartUpload(ctx));
  app.put('/files/:name', ...beforeBody(0), rawUpload(ctx));
  app.get('/files', readAuth, listFiles(ctx));
  app.get('/files/:id/status', readAuth, getStatus(ctx));
  app.get('/files/:id/events', readAuth, fileEvents(ctx));
  app.get('/files/:id/history', readAuth, fileHistory(ctx));
  app.get('/events', readAuth, clusterEvents(ctx));
  app.get('/files/:id', readAuth, downloadFile(ctx));
  app.delete('/files/:id', apiAuth, deleteFile(ctx));
  app.get('/internal/blobs/:id', clusterAuth, internalBlob(ctx));
  app.delete('/internal/blobs/:id', clusterAuth, removeInternalBlob(ctx));
  if (ctx.s3) {
    const deps = { parts: ctx.s3.parts.local, catalog: ctx.s3.catalog, logger: ctx.logger };
    app.use(internalPartsRouter(deps, clusterAuth));
  }
  app.get('/nodes', readAuth, listNodes(ctx));
  app.post('/nodes/:id/drain', apiAuth, startDrain(ctx));
  app.delete('/nodes/:id/drain', apiAuth, cancelDrain(ctx));
  app.delete('/nodes/:id', apiAuth, removeNode(ctx));
  app.get('/admin/fsck', readAuth, fsckReport(ctx));
  app.post('/admin/fsck', apiAuth, fsckRepair(ctx));
  app.post('/admin/scrub', apiAuth, scrubMainCopies(ctx));
  app.get('/instances', readAuth, listInstances(ctx));
  app.use(tusRouter(ctx));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    if (!ctx.broker.isConnected()) throw new AppError('NOT_READY', 'not connected to the message broker');
    if (!ctx.metadataReachable()) throw new AppError('NOT_READY', 'the metadata database cannot be reached');
    res.json({ status: 'ready' });
  });
  app.use(dashboardRoutes(ctx, { read: readAuth, api: apiAuth }));
  app.use(metrics.router);
  app.use(notFound);
  app.use(errorHandler(ctx.logger));
  return app;
}
