import { cdfPoints } from './percentiles.ts';

export interface Series {
  label: string;
  samples: readonly number[];
}

export interface Panel {
  title: string;
  series: Series[];
}

const WIDTH = 900;
const PANEL_HEIGHT = 330;
const MARGIN = { left: 60, right: 230, top: 40, bottom: 45 };
/** The y axis ends at p99.9 (three nines). */
const TAIL_DECADES = 3;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/**
 * Latency distributions as percentile curves (x: milliseconds on a log scale; y: percentile on a
 * scale that spreads the tail, p50 … p99.9), one panel per group of series, stacked in one
 * standalone SVG.
 */
export function renderCdfSvg(title: string, panels: Panel[]): string {
  const drawn = panels.filter((p) => p.series.some((s) => s.samples.length > 0));
  const height = 30 + drawn.length * PANEL_HEIGHT;
  const body = drawn.map((panel, i) => renderPanel(panel, 30 + i * PANEL_HEIGHT)).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}

function renderPanel(panel: Panel, top: number): string {
  const series = panel.series.filter((s) => s.samples.length > 0);
  const all = series.flatMap((s) => extent(s.samples)).filter((x) => x > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.max(1e-3, Math.min(...all))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(lo * 10, ...all)));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const x0 = MARGIN.left;
  const y0 = top + MARGIN.top;
  const sx = (ms: number) =>
    x0 + ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / Math.log10(hi / lo)) * plotW;
  // y is -log10(1 - fraction), so p90, p99 and p99.9 are evenly spaced and the tail is visible.
  const sy = (fraction: number) =>
    y0 + (1 - Math.min(TAIL_DECADES, -Math.log10(Math.max(1e-9, 1 - fraction))) / TAIL_DECADES) * plotH;
  const out: string[] = [
    `<text x="${x0}" y="${top + 25}" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`,
    `<rect x="${x0}" y="${y0}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
  ];
  for (let decade = lo; decade <= hi * 1.0001; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const v = decade * m;
      if (v > hi * 1.0001) break;
      const x = sx(v).toFixed(1);
      out.push(`<line x1="${x}" y1="${y0}" x2="${x}" y2="${y0 + plotH}" stroke="#eee"/>`);
      out.push(
        `<text x="${x}" y="${y0 + plotH + 15}" text-anchor="middle" fill="#444">${formatMs(v)}</text>`,
      );
    }
  }
  for (const [f, label] of [
    [0, 'p0'],
    [0.5, 'p50'],
    [0.9, 'p90'],
    [0.99, 'p99'],
    [0.999, 'p99.9'],
  ] as const) {
    const y = sy(f).toFixed(1);
    out.push(`<line x1="${x0}" y1="${y}" x2="${x0 + plotW}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${x0 - 6}" y="${y}" dy="4" text-anchor="end" fill="#444">${label}</text>`);
  }
  out.push(
    `<text x="${x0 + plotW / 2}" y="${y0 + plotH + 35}" text-anchor="middle">latency, ms (log scale)</text>`,
    `<text transform="translate(15 ${y0 + plotH / 2}) rotate(-90)" text-anchor="middle">percentile</text>`,
  );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const points = cdfPoints(s.samples, 300)
      .map(([ms, f]) => `${sx(ms).toFixed(1)},${sy(f).toFixed(1)}`)
      .join(' ');
    out.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2"/>`);
    const ly = y0 + 10 + i * 20;
    out.push(
      `<line x1="${x0 + plotW + 12}" y1="${ly}" x2="${x0 + plotW + 32}" y2="${ly}" stroke="${color}" stroke-width="3"/>`,
      `<text x="${x0 + plotW + 38}" y="${ly + 4}">${escapeXml(s.label)}</text>`,
    );
  });
  return out.join('\n');
}

/** Smallest and largest sample, by a loop: Math.min(...samples) overflows the stack at 100,000. */
function extent(samples: readonly number[]): number[] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const x of samples) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return samples.length > 0 ? [min, max] : [];
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${ms / 1000}s` : `${Number(ms.toPrecision(3))}`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
