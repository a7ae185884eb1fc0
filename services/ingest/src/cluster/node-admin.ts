import { AppError } from '../../../../shared/src/errors.ts';
import type { Logger } from '../../../../shared/src/logger.ts';
import type { MembershipStore } from '../store/membership-store.ts';
import type { MetadataStore } from '../store/metadata-store.ts';
import type { Healer } from './healer.ts';
import type { Membership } from './membership.ts';

export interface NodeAdminDeps {
  metadata: MetadataStore;
  nodes: MembershipStore;
  membership: Membership;
  healer: Pick<Healer, 'runSoon'>;
  logger: Logger;
}

/** What operators do to nodes: drain one, cancel a drain, remove one for good. */
export class NodeAdmin {
  constructor(private readonly deps: NodeAdminDeps) {}

  /**
   * Nothing new is placed on the node; every file it holds gets its replicas elsewhere (copied
   * from any verified source, the draining node included), then its own copies are deleted and
   * it is `drained`.
   */
  async drain(id: string): Promise<void> {
    if (!(await this.deps.nodes.setDraining(id, true))) throw new AppError('NOT_FOUND', 'no such node');
    this.deps.logger.info({ node: id }, 'node draining');
    this.changed();
  }

  /** Stops a drain: the node takes new replicas again and its remaining copies count again. */
  async cancelDrain(id: string): Promise<void> {
    if (!(await this.deps.nodes.setDraining(id, false))) throw new AppError('NOT_FOUND', 'no such node');
    await this.deps.metadata.restoreReplicas(id);
    this.deps.logger.info({ node: id }, 'node drain cancelled');
    this.changed();
  }

  /**
   * Forgets a node for good, refused (409) while any file would have fewer than its target of
   * verified copies without it: drain it first, or wait until a down node's files are healed.
   */
  async remove(id: string): Promise<void> {
    const known = (await this.deps.nodes.listNodes()).some((node) => node.id === id);
    if (!known) throw new AppError('NOT_FOUND', 'no such node');
    const down = await this.deps.membership.downNodes();
    const atRisk = await this.deps.metadata.countAtRisk(id, [...down]);
    if (atRisk > 0) {
      throw new AppError(
        'NODE_IN_USE',
        `${atRisk} file(s) would have fewer replicas than wanted without this node; drain it first`,
      );
    }
    await this.deps.nodes.removeNode(id);
    this.deps.logger.info({ node: id }, 'node removed');
    this.changed();
  }

  private changed(): void {
    this.deps.membership.invalidate();
    this.deps.healer.runSoon();
  }
}
