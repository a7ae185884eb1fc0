import { type Request, type RequestHandler, type Response, Router } from 'express';
import { AppError } from '../../../../../shared/src/errors.ts';
import type { IngestContext } from '../rest/context.ts';
import { loadPageAssets, type PageAsset } from './page-assets.ts';
import { DASHBOARD_CSP, dashboardHtml } from './page-html.ts';
import { issueReadSession, READ_SESSION_TTL_MS, setReadSessionCookie } from './read-session.ts';
import { dashboardSummary } from './summary.ts';

/** Hashed names never change content: a browser keeps them for a year and never asks again. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

function sendAsset(req: Request, res: Response, asset: PageAsset): void {
  res.setHeader('Content-Type', asset.type);
  res.setHeader('Cache-Control', IMMUTABLE);
  res.setHeader('ETag', asset.etag);
  res.setHeader('Vary', 'Accept-Encoding');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (req.get('if-none-match') === asset.etag) {
    res.status(304).end();
    return;
  }
  const gzip = /\bgzip\b/.test(req.get('accept-encoding') ?? '');
  if (gzip) res.setHeader('Content-Encoding', 'gzip');
  res.end(gzip ? asset.gzipped : asset.body);
}

/**
 * The dashboard (API.md: `GET /` on ingest): the page and its two bundled files (open: they
 * hold no data), the summary it shows (a read), and the read session a browser trades its API
 * token for, so that EventSource, which cannot send a header, may follow protected streams
 * (docs/SECURITY.md).
 */
export function dashboardRoutes(
  ctx: IngestContext,
  guards: { read: RequestHandler; api: RequestHandler },
): Router {
  const router = Router();
  const assets = loadPageAssets();
  if (!assets) ctx.logger.warn('the dashboard is not built (npm run build): GET / answers 503');
  const html = assets
    ? dashboardHtml(assets, {
        readsNeedToken: ctx.config.protectDownloads === true,
        writesNeedToken: ctx.config.apiToken !== undefined,
      })
    : '';
  const byName = new Map(assets ? [assets.script, assets.style].map((a) => [a.name, a]) : []);

  router.get('/', (_req, res) => {
    if (!assets) throw new AppError('NOT_READY', 'the dashboard is not built: run npm run build');
    res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    // The page names its files by hash: it must be asked for again to learn new names.
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(html);
  });
  router.get('/dashboard/assets/:name', (req, res) => {
    const asset = byName.get(String(req.params.name));
    if (!asset) throw new AppError('NOT_FOUND', 'no such asset');
    sendAsset(req, res, asset);
  });
  router.get('/dashboard/summary', guards.read, dashboardSummary(ctx));
  router.post('/dashboard/session', guards.api, (req, res) => {
    const token = ctx.config.apiToken;
    if (!token) {
      res.json({ expiresAt: null });
      return;
    }
    const session = issueReadSession(token);
    setReadSessionCookie(req, res, session.value, READ_SESSION_TTL_MS);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ expiresAt: new Date(session.expiresMs).toISOString() });
  });
  router.delete('/dashboard/session', (req, res) => {
    setReadSessionCookie(req, res, '', 0);
    res.status(204).end();
  });
  return router;
}
