import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ClusterEvent,
  encodeMessage,
  NodeCommand,
  parseMessage,
  ReplicaStored,
  ReplicateFile,
} from '../../shared/src/messages/index.ts';

const fileId = '3f1c2a9e-8b7d-4c6e-9a1b-2c3d4e5f6a7b';
const sha256 = 'a'.repeat(64);

const replicateFile: ReplicateFile = {
  type: 'ReplicateFile',
  version: 1,
  fileId,
  node: 'node1',
  size: 1024,
  sha256,
  name: 'report.pdf',
  sourceUrl: `http://ingest:8080/internal/blobs/${fileId}`,
};

const replicaStored: ReplicaStored = {
  type: 'ReplicaStored',
  version: 1,
  fileId,
  node: 'node-2',
  sha256,
  size: 1024,
  storedAt: '2026-11-24T18:00:00.000Z',
};

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('parseMessage', () => {
  it('accepts a valid ReplicateFile and ReplicaStored', () => {
    expect(parseMessage(ReplicateFile, json(replicateFile))).toEqual({ ok: true, value: replicateFile });
    expect(parseMessage(ReplicaStored, json(replicaStored))).toEqual({ ok: true, value: replicaStored });
  });

  it('picks the message type from the union by its `type`', () => {
    expect(parseMessage(NodeCommand, encodeMessage(replicateFile))).toEqual({
      ok: true,
      value: replicateFile,
    });
    expect(parseMessage(ClusterEvent, encodeMessage(replicaStored))).toEqual({
      ok: true,
      value: replicaStored,
    });
    expect(parseMessage(NodeCommand, encodeMessage(replicaStored)).ok).toBe(false);
  });

  it('rejects a body that is not JSON', () => {
    expect(parseMessage(ReplicateFile, Buffer.from('{"type":'))).toEqual({
      ok: false,
      error: 'body is not JSON',
    });
    expect(parseMessage(ReplicateFile, Buffer.alloc(0)).ok).toBe(false);
  });

  it.each([
    ['another version', { ...replicateFile, version: 2 }],
    ['an upper-case SHA-256', { ...replicateFile, sha256: 'A'.repeat(64) }],
    ['a short SHA-256', { ...replicateFile, sha256: 'a'.repeat(63) }],
    ['a path as file id', { ...replicateFile, fileId: '../../etc/passwd' }],
    ['a file id with a slash', { ...replicateFile, fileId: `${fileId}/x` }],
    ['a node id with a slash', { ...replicateFile, node: 'node1/..' }],
    ['a negative size', { ...replicateFile, size: -1 }],
    ['a fractional size', { ...replicateFile, size: 1.5 }],
    ['no source URL', { ...replicateFile, sourceUrl: undefined }],
    ['another type', { ...replicateFile, type: 'DeleteFile' }],
    ['an array', [replicateFile]],
    ['null', null],
  ])('rejects a ReplicateFile with %s, explaining why', (_case, body) => {
    const result = parseMessage(ReplicateFile, json(body));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.length).toBeGreaterThan(0);
  });

  it('never throws, whatever the body', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(typeof parseMessage(ReplicateFile, Buffer.from(text)).ok).toBe('boolean');
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        expect(typeof parseMessage(ClusterEvent, Buffer.from(bytes)).ok).toBe('boolean');
      }),
    );
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(typeof parseMessage(NodeCommand, Buffer.from(text)).ok).toBe('boolean');
      }),
    );
  });

  it('reads back every valid ReplicateFile it encodes', () => {
    const message = fc.record(
      {
        type: fc.constant('ReplicateFile' as const),
        version: fc.constant(1 as const),
        fileId: fc.uuid({ version: 4 }),
        node: fc.stringMatching(/^[a-zA-Z0-9_-]{1,64}$/),
        size: fc.nat(),
        sha256: fc.stringMatching(/^[0-9a-f]{64}$/),
        name: fc.string({ unit: 'grapheme', maxLength: 100 }),
        sourceUrl: fc.webUrl(),
      },
      { requiredKeys: ['type', 'version', 'fileId', 'node', 'size', 'sha256', 'sourceUrl'] },
    );
    fc.assert(
      fc.property(message, (value) => {
        expect(parseMessage(ReplicateFile, encodeMessage(value))).toEqual({ ok: true, value });
      }),
    );
  });
});
