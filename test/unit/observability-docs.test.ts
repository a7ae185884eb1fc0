import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import dashboard from '../../docs/grafana-dfr.json' with { type: 'json' };
import alerts from '../../docs/prometheus-alerts.yml?raw';
import type { ClusterStats } from '../../services/ingest/src/cluster/cluster-stats.ts';
import type { Membership } from '../../services/ingest/src/cluster/membership.ts';
import { registerIngestMetrics } from '../../services/ingest/src/metrics/ingest-metrics.ts';
import { WorkerMetrics } from '../../services/node-worker/src/worker-metrics.ts';
import { createMetrics } from '../../shared/src/http/metrics.ts';

/** Every series name the services register (gauges are only read at a scrape, so no deps are needed). */
function registeredNames(): Set<string> {
  const ingest = createMetrics({ service: 'ingest' });
  registerIngestMetrics(ingest.registry, { cluster: {} as ClusterStats, membership: {} as Membership });
  const worker = new Registry();
  new WorkerMetrics(worker);
  const names = new Set<string>();
  for (const registry of [ingest.registry, worker])
    for (const metric of registry.getMetricsAsArray()) names.add(metric.name);
  return names;
}

/** The metric names a PromQL expression reads (a histogram's series named as the histogram). */
const metricsIn = (expr: string) =>
  (expr.match(/\b(dfr|process|nodejs)_[a-z_]+\b/g) ?? []).map((name) =>
    name.replace(/_(bucket|sum|count)$/, ''),
  );

describe('docs/grafana-dfr.json', () => {
  const panels = dashboard.panels.filter((p) => p.type !== 'row');
  const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

  it('queries only metrics the services register', () => {
    const names = registeredNames();
    const used = new Set(exprs.flatMap(metricsIn));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(names, name).toContain(name);
  });

  it('shows every metric ingest and the workers register under the dfr_ prefix', () => {
    const shown = exprs.join(' ');
    for (const name of registeredNames())
      if (name.startsWith('dfr_')) expect(shown, `${name} has no panel`).toContain(name);
  });

  it('has a description on every panel and no overlapping panels', () => {
    for (const panel of panels) expect(panel.description, panel.title).toBeTruthy();
    const cells = new Set<string>();
    for (const { gridPos: g } of dashboard.panels)
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `overlap at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
  });
});

describe('docs/prometheus-alerts.yml', () => {
  const rules = (parse(alerts) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap(
    (g) => g.rules,
  );

  it('alerts on under-replication, old pending replicas, dead letters and nodes down', () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'DfrUnderReplicated',
        'DfrReplicaPendingTooLong',
        'DfrDeadLetters',
        'DfrNodeDown',
      ]),
    );
  });

  it('reads only metrics the services register', () => {
    const names = registeredNames();
    for (const rule of rules)
      for (const name of metricsIn(rule.expr)) expect(names, `${rule.alert}: ${name}`).toContain(name);
  });
});
