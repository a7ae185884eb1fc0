import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replicationTopology, topicMatches, topologyNames } from '../../shared/src/broker/topology.ts';

describe('topicMatches', () => {
  it.each([
    ['replica.*', 'replica.stored', true],
    ['replica.*', 'replica.failed', true],
    ['replica.*', 'replica', false],
    ['replica.*', 'replica.stored.late', false],
    ['replica.*', 'node.heartbeat', false],
    ['*.heartbeat', 'node.heartbeat', true],
    ['*', 'node.heartbeat', false],
    ['a.b', 'a.b', true],
    ['a.b', 'a.c', false],
    ['#', 'a', true],
    ['#', 'a.b.c', true],
    ['a.#', 'a', true],
    ['a.#', 'a.b.c', true],
    ['a.#', 'b.a', false],
    ['#.c', 'c', true],
    ['#.c', 'a.b.c', true],
    ['#.c', 'a.b.c.d', false],
    ['a.#.c', 'a.c', true],
    ['a.#.c', 'a.b.x.c', true],
    ['a.*.#', 'a', false],
    ['a.*.#', 'a.b', true],
    ['a.*.#', 'a.b.c.d', true],
  ])('%s matches %s: %s', (pattern, key, expected) => {
    expect(topicMatches(pattern, key)).toBe(expected);
  });

  const word = fc.stringMatching(/^[a-z0-9-]{1,8}$/);
  const routingKey = fc.array(word, { minLength: 1, maxLength: 6 });

  it('a key matches itself, `#`, and the pattern with every word replaced by `*`', () => {
    fc.assert(
      fc.property(routingKey, (words) => {
        const key = words.join('.');
        expect(topicMatches(key, key)).toBe(true);
        expect(topicMatches('#', key)).toBe(true);
        expect(topicMatches(words.map(() => '*').join('.'), key)).toBe(true);
      }),
    );
  });

  it('`*` patterns match only keys with as many words', () => {
    fc.assert(
      fc.property(routingKey, fc.integer({ min: 1, max: 7 }), (words, stars) => {
        const pattern = Array.from({ length: stars }, () => '*').join('.');
        expect(topicMatches(pattern, words.join('.'))).toBe(stars === words.length);
      }),
    );
  });
});

describe('replicationTopology', () => {
  const topology = replicationTopology({
    prefix: 'dfr',
    nodes: ['node1', 'node2'],
    ingestEvents: true,
    deliveryLimit: 5,
  });
  const queue = (name: string) => topology.queues.find((q) => q.name === name);

  it('names every object from the prefix, with one command queue per node id', () => {
    const names = topologyNames('dfr');
    expect(names.nodeQueue('node1')).toBe('dfr.replicate.node1');
    expect(topology.exchanges).toEqual([
      { name: 'dfr.replicate', type: 'direct' },
      { name: 'dfr.events', type: 'topic' },
      { name: 'dfr.dead', type: 'topic' },
    ]);
    expect(topology.queues.map((q) => q.name).sort()).toEqual([
      'dfr.dead-letter',
      'dfr.events.ingest',
      'dfr.replicate.node1',
      'dfr.replicate.node2',
    ]);
  });

  it('routes commands by node id and dead-letters them after the delivery limit', () => {
    expect(queue('dfr.replicate.node2')).toEqual({
      name: 'dfr.replicate.node2',
      bindings: [{ exchange: 'dfr.replicate', routingKey: 'node2' }],
      deadLetterExchange: 'dfr.dead',
      deliveryLimit: 5,
    });
  });

  it('binds the ingest queue to replica and node events, and the dead-letter queue to everything', () => {
    expect(queue('dfr.events.ingest')?.bindings.map((b) => b.routingKey)).toEqual(['replica.*', 'node.*']);
    expect(queue('dfr.events.ingest')?.deadLetterExchange).toBe('dfr.dead');
    expect(queue('dfr.dead-letter')).toEqual({
      name: 'dfr.dead-letter',
      bindings: [{ exchange: 'dfr.dead', routingKey: '#' }],
    });
  });

  it('leaves out the ingest queue when asked', () => {
    const workerOnly = replicationTopology({
      prefix: 'p',
      nodes: ['n'],
      ingestEvents: false,
      deliveryLimit: 1,
    });
    expect(workerOnly.queues.map((q) => q.name)).toEqual(['p.dead-letter', 'p.replicate.n']);
  });
});
