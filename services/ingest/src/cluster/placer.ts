import type { Member, Membership } from './membership.ts';
import { type Candidate, place } from './placement.ts';

/** Most replicas one file may have (API.md: `?replicas=` 1 to 16). */
export const MAX_REPLICAS = 16;

/** Nodes a file may be placed on, best first: up, then suspect (expected, or briefly silent). */
function tiers(members: readonly Member[]): Candidate[][] {
  const open = members.filter((m) => !m.draining);
  return [open.filter((m) => m.derived === 'up'), open.filter((m) => m.derived === 'suspect')];
}

/**
 * Chooses nodes for replicas from the current membership: nodes that are up first, suspect ones
 * only to make up the number (at start, before the first heartbeats, every node is suspect),
 * never a node that is down or draining, never one already holding the file.
 */
export class Placer {
  constructor(
    private readonly membership: Membership,
    private readonly random: () => number = Math.random,
  ) {}

  /** Up to `count` nodes for a new file of `sizeBytes`. */
  async forNewFile(count: number, sizeBytes: number): Promise<string[]> {
    return this.choose(await this.membership.members(), count, sizeBytes, []);
  }

  /** Up to `count` more nodes for a file whose replicas are on `holders`. */
  choose(members: readonly Member[], count: number, sizeBytes: number, holders: readonly string[]): string[] {
    const byId = new Map(members.map((m) => [m.id, m]));
    const alongside = holders.map((id) => byId.get(id) ?? { id, zone: null });
    const exclude = new Set(holders);
    const chosen: string[] = [];
    for (const tier of tiers(members)) {
      if (chosen.length >= count) break;
      const picked = place(
        tier,
        {
          count: count - chosen.length,
          sizeBytes,
          exclude,
          alongside: [...alongside, ...chosen.map((id) => byId.get(id) ?? { id, zone: null })],
        },
        this.random,
      );
      for (const id of picked) exclude.add(id);
      chosen.push(...picked);
    }
    return chosen;
  }
}
