import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClusterEvent, encodeMessage, NodeCommand, parseMessage } from '../../shared/src/messages/index.ts';

const fileId = fc.uuid({ version: 4 });
const node = fc.stringMatching(/^[a-zA-Z0-9_-]{1,64}$/);
const sha256 = fc.stringMatching(/^[0-9a-f]{64}$/);
const at = fc
  .date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true })
  .map((d) => d.toISOString());
const url = fc.webUrl();

const command = fc.oneof(
  fc.record({
    type: fc.constant('ReplicateFile' as const),
    version: fc.constant(1 as const),
    fileId,
    node,
    size: fc.nat(),
    sha256,
    name: fc.string({ maxLength: 200 }),
    sourceUrl: url,
  }),
  fc.record({ type: fc.constant('DeleteFile' as const), version: fc.constant(1 as const), fileId, node }),
);

const event = fc.oneof(
  fc.record({
    type: fc.constant('ReplicaStored' as const),
    version: fc.constant(1 as const),
    fileId,
    node,
    sha256,
    size: fc.nat(),
    storedAt: at,
  }),
  fc.record({
    type: fc.constant('ReplicaFailed' as const),
    version: fc.constant(1 as const),
    fileId,
    node,
    reason: fc.string({ maxLength: 1000 }),
  }),
  fc.record({ type: fc.constant('ReplicaDeleted' as const), version: fc.constant(1 as const), fileId, node }),
  fc.record({
    type: fc.constant('NodeHeartbeat' as const),
    version: fc.constant(1 as const),
    node,
    workerId: fc.string({ minLength: 1, maxLength: 200 }),
    url,
    at,
  }),
);

/** Values that are not what a field allows: paths, other schemes, wrong types. */
const badId = fc.oneof(
  fc
    .string()
    .filter((s) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(s)),
  fc.constantFrom('../../etc/passwd', '/abs', 'C:\\x', null, 42, {}),
);
const badNode = fc.oneof(
  fc.string().filter((s) => !/^[a-zA-Z0-9_-]{1,64}$/.test(s)),
  fc.constantFrom('node1/..', '..', 'node 1', ''),
);
const badUrl = fc.constantFrom(
  'file:///etc/passwd',
  'javascript:alert(1)',
  'ftp://x/y',
  'not a url',
  '',
  `http://x/${'a'.repeat(3000)}`,
);

/** The union a message travels in: node queues carry commands, the events exchange the rest. */
const unionOf = (message: { type: string }) =>
  message.type === 'ReplicateFile' || message.type === 'DeleteFile' ? NodeCommand : ClusterEvent;

describe('message schemas', () => {
  it('read back every valid command and event they encode', () => {
    fc.assert(
      fc.property(command, (message) => {
        expect(parseMessage(NodeCommand, encodeMessage(message))).toEqual({ ok: true, value: message });
      }),
    );
    fc.assert(
      fc.property(event, (message) => {
        expect(parseMessage(ClusterEvent, encodeMessage(message))).toEqual({ ok: true, value: message });
      }),
    );
  });

  it('refuse a message whose file id is not a UUID', () => {
    fc.assert(
      fc.property(command, badId, (message, id) => {
        expect(parseMessage(NodeCommand, Buffer.from(JSON.stringify({ ...message, fileId: id }))).ok).toBe(
          false,
        );
      }),
    );
  });

  it('refuse a message whose node id could be anything but a name', () => {
    fc.assert(
      fc.property(fc.oneof(command, event), badNode, (message, id) => {
        const body = Buffer.from(JSON.stringify({ ...message, node: id }));
        expect(parseMessage(unionOf(message), body).ok).toBe(false);
      }),
    );
  });

  it('refuse a source or heartbeat URL that is not http(s)', () => {
    fc.assert(
      fc.property(command, badUrl, (message, sourceUrl) => {
        fc.pre(message.type === 'ReplicateFile');
        expect(parseMessage(NodeCommand, Buffer.from(JSON.stringify({ ...message, sourceUrl }))).ok).toBe(
          false,
        );
      }),
    );
    fc.assert(
      fc.property(event, badUrl, (message, bad) => {
        fc.pre(message.type === 'NodeHeartbeat');
        expect(parseMessage(ClusterEvent, Buffer.from(JSON.stringify({ ...message, url: bad }))).ok).toBe(
          false,
        );
      }),
    );
  });

  it('refuse another version, and drop fields they do not know', () => {
    fc.assert(
      fc.property(
        fc.oneof(command, event),
        fc.integer().filter((v) => v !== 1),
        (message, version) => {
          const schema = unionOf(message);
          expect(parseMessage(schema, Buffer.from(JSON.stringify({ ...message, version }))).ok).toBe(false);
          const extra = parseMessage(
            schema,
            Buffer.from(JSON.stringify({ ...message, path: '/etc/passwd' })),
          );
          expect(extra.ok && 'path' in extra.value).toBe(false);
        },
      ),
    );
  });
});
