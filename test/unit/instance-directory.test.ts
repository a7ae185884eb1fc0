import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { InstanceDirectory } from '../../services/ingest/src/cluster/instance-directory.ts';
import type { InstanceRecord, MetadataStore } from '../../services/ingest/src/store/metadata-store.ts';

/** The two registry methods of a store, in memory; the directory uses no others. */
function registryOnly(): MetadataStore {
  const instances = new Map<string, InstanceRecord>();
  const store: Pick<MetadataStore, 'announceInstance' | 'listInstances'> = {
    async announceInstance(id, url, nowMs) {
      instances.set(id, { id, url, lastSeenMs: nowMs });
    },
    async listInstances() {
      return [...instances.values()];
    },
  };
  return store as MetadataStore;
}

const logger = pino({ level: 'silent' });

describe('InstanceDirectory', () => {
  it('resolves an origin to the URL of a live instance, this one always, a silent one never', async () => {
    const metadata = registryOnly();
    const self = new InstanceDirectory({ metadata, selfId: 'a', selfUrl: () => 'http://a:9000', logger });
    const peer = new InstanceDirectory({ metadata, selfId: 'b', selfUrl: () => 'http://b:9000', logger });
    await self.start();
    self.stop();
    expect(self.urlOf('a')).toBe('http://a:9000');
    expect(self.urlOf(undefined)).toBeUndefined();
    // Unknown when last read, so urlOf says nothing; locate reads the registry again.
    await peer.start();
    peer.stop();
    expect(self.urlOf('b')).toBeUndefined();
    expect(await self.locate('b')).toBe('http://b:9000');
    expect(self.urlOf('b', Date.now() + 29_000)).toBe('http://b:9000');
    expect(self.urlOf('b', Date.now() + 31_000)).toBeUndefined();
    expect(self.list().map((i) => [i.id, i.alive, i.self])).toEqual([
      ['a', true, true],
      ['b', true, false],
    ]);
  });
});
