import type { Logger } from '../../../../shared/src/logger.ts';
import type { BackgroundWork } from '../../../../shared/src/process/background-work.ts';
import type { EventLog } from '../events/event-log.ts';
import type { FileMilestones } from '../events/file-milestones.ts';
import type { CommandPublisher } from '../replication/command-publisher.ts';
import { CLAIM_LEASE_MS } from '../replication/outbox-policy.ts';
import type { MembershipStore } from '../store/membership-store.ts';
import type { DueCommand, MetadataStore, PlacementNeed } from '../store/metadata-store.ts';
import type { Member, Membership } from './membership.ts';
import type { Placer } from './placer.ts';

export interface HealerOptions {
  intervalMs: number;
  /** Healing copies on their way to one node at a time; more wait for the next pass. */
  copiesInFlightPerNode: number;
  /** Files examined per pass. */
  batch: number;
  /** Files are scanned for missing replicas at least this often, even when nothing seems to have changed. */
  fullScanEveryMs: number;
}

export const DEFAULT_HEALER_OPTIONS: Omit<HealerOptions, 'intervalMs'> = {
  copiesInFlightPerNode: 16,
  batch: 500,
  fullScanEveryMs: 60_000,
};

export interface HealerDeps {
  metadata: MetadataStore;
  nodes: MembershipStore;
  membership: Membership;
  placer: Placer;
  publisher: CommandPublisher;
  background: BackgroundWork;
  logger: Logger;
  /** This ingest instance: the holder of the healer's lease while it runs. */
  holder: string;
  events: EventLog;
  milestones: FileMilestones;
}

export interface HealReport {
  /** Files found below their target. */
  underReplicated: number;
  /** New replicas placed. */
  placed: number;
  /** Displaced copies turned into deletes. */
  trimmed: number;
  /** Displaced copies counted again, for want of another node. */
  restored: number;
}

const NOTHING: HealReport = { underReplicated: 0, placed: 0, trimmed: 0, restored: 0 };

/**
 * Keeps every file at its replica count as nodes come and go. Each pass (on one ingest
 * instance at a time, by lease): records node state changes; displaces the replicas of nodes
 * that are down or draining; places new replicas for the files below their target, fewest
 * verified copies first, a bounded number in flight per node; and turns displaced copies into
 * deletes once their files have enough verified copies without them (HDFS's excess-replica
 * rule: never before). New replicas are replica rows, so the outbox sends and re-sends them.
 */
export class Healer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<HealReport> | undefined;
  private dirty = true;
  private lastScanMs = 0;

  constructor(
    private readonly deps: HealerDeps,
    private readonly options: HealerOptions,
  ) {}

  /** Something changed that may leave files short of replicas (a node joined, an upload was under-placed). */
  markDirty(): void {
    this.dirty = true;
  }

  start(): void {
    this.timer = setInterval(
      () => this.deps.background.run('a healing pass', () => this.runOnce()),
      this.options.intervalMs,
    );
    this.timer.unref();
  }

  /** A pass now, in the background, after a change that may need one (a drain, a join). */
  runSoon(): void {
    this.dirty = true;
    this.deps.background.run('a healing pass', () => this.runOnce());
  }

  /** One pass, also on demand (fsck --repair); concurrent calls share the pass in progress. */
  runOnce(): Promise<HealReport> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<HealReport> {
    const { metadata, nodes, membership, logger, holder } = this.deps;
    const nowMs = Date.now();
    if (!(await nodes.tryLease('healer', holder, nowMs, nowMs + 3 * this.options.intervalMs))) return NOTHING;
    const counts = await nodes.countReplicasByNode();
    const remaining = new Map([...counts].map(([node, c]) => [node, c.total]));
    const members = membership.derive(await nodes.listNodes(), nowMs, remaining);
    await this.recordStates(members);
    const down = members.filter((m) => m.derived === 'down').map((m) => m.id);
    for (const member of members) {
      if (member.derived === 'down' || member.draining) {
        const displaced = await metadata.displaceReplicas(member.id);
        if (displaced > 0) {
          logger.info({ node: member.id, state: member.derived, replicas: displaced }, 'replicas displaced');
          this.dirty = true;
        }
      }
    }
    const commands: DueCommand[] = [];
    const report = { ...NOTHING };
    if (this.dirty || nowMs - this.lastScanMs >= this.options.fullScanEveryMs) {
      this.dirty = false;
      this.lastScanMs = nowMs;
      const healing = new Map([...counts].map(([node, c]) => [node, c.healing]));
      const needs = await metadata.underReplicated(down, this.options.batch);
      report.underReplicated = needs.length;
      for (const need of needs) {
        await this.deps.milestones.afterLoss(need.file.id);
        const missing = need.target - need.live;
        const open = members.filter((m) => (healing.get(m.id) ?? 0) < this.options.copiesInFlightPerNode);
        const chosen = this.deps.placer.choose(open, missing, need.file.size, need.holders);
        // Short of nodes below the cap: more room comes as copies land, so look again next pass.
        if (chosen.length < missing && open.length < members.length) this.dirty = true;
        if (chosen.length < missing)
          report.restored += await this.restore(need, missing - chosen.length, members);
        if (chosen.length === 0) continue;
        await metadata.addReplicas(need.file.id, chosen, nowMs + CLAIM_LEASE_MS);
        for (const node of chosen) {
          healing.set(node, (healing.get(node) ?? 0) + 1);
          commands.push({ kind: 'replicate', file: need.file, node, state: 'pending', attempts: 0 });
        }
        report.placed += chosen.length;
      }
      if (needs.length === this.options.batch) this.dirty = true;
    }
    const trimmed = await metadata.trimDisplaced(down, this.options.batch, nowMs + CLAIM_LEASE_MS);
    report.trimmed = trimmed.length;
    commands.push(...trimmed);
    if (commands.length > 0) {
      logger.info(report, 'healing: replicas placed and extras trimmed');
      await this.deps.publisher.publish(commands);
    }
    return report;
  }

  /**
   * When no other node can take a copy, a displaced copy on a node that is up and takes files
   * (it came back, or its drain was cancelled) counts again rather than leaving the file short.
   */
  private async restore(need: PlacementNeed, count: number, members: readonly Member[]): Promise<number> {
    const usable = need.displaced.filter((node) => {
      const member = members.find((m) => m.id === node);
      return member?.derived === 'up' && !member.draining;
    });
    let restored = 0;
    for (const node of usable.slice(0, count)) {
      if (await this.deps.metadata.restoreReplica(need.file.id, node)) restored += 1;
    }
    return restored;
  }

  private async recordStates(members: readonly Member[]): Promise<void> {
    for (const member of members) {
      if (member.derived === member.state) continue;
      await this.deps.nodes.setNodeState(member.id, member.derived);
      this.deps.logger.info(
        { node: member.id, from: member.state, to: member.derived },
        'node state changed',
      );
      await this.deps.events.record({
        type: `node.${member.derived}`,
        node: member.id,
        data: { from: member.state },
      });
      this.dirty = true;
    }
    this.deps.membership.invalidate();
  }
}
