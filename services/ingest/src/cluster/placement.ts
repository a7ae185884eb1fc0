/** A node that may take a new replica. */
export interface Candidate {
  id: string;
  zone: string | null;
  /** What its store may still take; null when it has not said (weighted as an average node). */
  freeBytes: number | null;
}

export interface PlacementRequest {
  /** Replicas to place. */
  count: number;
  /** The file's size: a node reporting less free space is not chosen. */
  sizeBytes: number;
  /** Nodes that must not be chosen (they hold a row for the file already). */
  exclude?: ReadonlySet<string>;
  /** Nodes holding the file's other replicas: new ones go to other zones first. */
  alongside?: readonly { id: string; zone: string | null }[];
}

/** A node without a zone is a failure domain of its own. */
const zoneOf = (node: { id: string; zone: string | null }) => node.zone ?? `node:${node.id}`;

/**
 * Chooses up to `count` distinct nodes for a file's replicas: one zone at a time (a zone already
 * holding a replica of the file only once every zone does), and within that, at random weighted
 * by free space, so equal nodes share the files equally and a fuller node gets fewer. Returns
 * fewer when fewer candidates fit. `random` is injectable for tests.
 */
export function place(
  candidates: readonly Candidate[],
  request: PlacementRequest,
  random: () => number = Math.random,
): string[] {
  const exclude = request.exclude ?? new Set<string>();
  const pool = candidates.filter(
    (c) => !exclude.has(c.id) && (c.freeBytes === null || c.freeBytes >= request.sizeBytes),
  );
  const known = pool.map((c) => c.freeBytes).filter((free): free is number => free !== null);
  const average = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 1;
  const weight = (c: Candidate) => Math.max(c.freeBytes ?? average, 1);
  const zones = new Set((request.alongside ?? []).map(zoneOf));
  const chosen: string[] = [];
  while (chosen.length < request.count && pool.length > 0) {
    const fresh = pool.filter((c) => !zones.has(zoneOf(c)));
    const from = fresh.length > 0 ? fresh : pool;
    const pick = weightedPick(from, weight, random);
    chosen.push(pick.id);
    zones.add(zoneOf(pick));
    pool.splice(pool.indexOf(pick), 1);
  }
  return chosen;
}

function weightedPick<T>(items: readonly T[], weight: (item: T) => number, random: () => number): T {
  const total = items.reduce((sum, item) => sum + weight(item), 0);
  let point = random() * total;
  for (const item of items) {
    point -= weight(item);
    if (point < 0) return item;
  }
  return items[items.length - 1] as T;
}
