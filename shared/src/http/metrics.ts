import type { RequestHandler, Router } from 'express';
import express from 'express';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** A service's metrics: its registry, the HTTP middleware that counts requests, `GET /metrics`. */
export interface ServiceMetrics {
  registry: Registry;
  middleware: RequestHandler;
  router: Router;
}

/** One registry per service instance (several live in one process in all-in-one mode). */
export function createMetrics(labels: Record<string, string>): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'dfr_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'dfr_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  });
  const middleware: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      const route = typeof req.route?.path === 'string' ? req.route.path : 'unmatched';
      requests.inc({ method: req.method, route, status: String(res.statusCode) });
      end({ method: req.method, route });
    });
    next();
  };
  const router = express.Router();
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return { registry, middleware, router };
}
