import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ClusterEvent,
  encodeMessage,
  NodeCommand,
  parseMessage,
  ReplicaStored,
  ReplicasStored,
  ReplicateFile,
  ReplicateFiles,
} from '../../shared/src/messages/index.ts';
import { MAX_FILES_PER_BATCH } from '../../shared/src/messages/replicate-files.ts';

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

  it('takes a media type as ingest keeps it, and nothing else, as a ReplicateFile contentType', () => {
    const withType = { ...replicateFile, contentType: 'text/plain' };
    expect(parseMessage(ReplicateFile, json(withType))).toEqual({ ok: true, value: withType });
    for (const contentType of ['text/plain; charset=utf-8', 'TEXT/PLAIN', 'text', '../etc/passwd', 'a/b\n']) {
      expect(parseMessage(ReplicateFile, json({ ...replicateFile, contentType })).ok, contentType).toBe(
        false,
      );
    }
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

const secondFileId = '9b2e4f60-1a3c-4d5e-8f70-a1b2c3d4e5f6';

const replicateFiles: ReplicateFiles = {
  type: 'ReplicateFiles',
  version: 1,
  node: 'node1',
  files: [
    { fileId, size: 5, sha256, name: 'hello.txt', content: Buffer.from('hello').toString('base64') },
    { fileId: secondFileId, size: 0, sha256, content: '' },
  ],
};

const replicasStored: ReplicasStored = {
  type: 'ReplicasStored',
  version: 1,
  node: 'node-2',
  replicas: [
    { fileId, sha256, size: 5, storedAt: '2026-11-24T18:00:00.000Z' },
    { fileId: secondFileId, sha256, size: 0, storedAt: '2026-11-24T18:00:01.000Z' },
  ],
};

describe('batched messages', () => {
  it('parses a valid ReplicateFiles as a NodeCommand and a valid ReplicasStored as a ClusterEvent', () => {
    expect(parseMessage(NodeCommand, encodeMessage(replicateFiles))).toEqual({
      ok: true,
      value: replicateFiles,
    });
    expect(parseMessage(ClusterEvent, encodeMessage(replicasStored))).toEqual({
      ok: true,
      value: replicasStored,
    });
    expect(parseMessage(NodeCommand, encodeMessage(replicasStored)).ok).toBe(false);
    expect(parseMessage(ClusterEvent, encodeMessage(replicateFiles)).ok).toBe(false);
  });

  it('accepts exactly MAX_FILES_PER_BATCH items', () => {
    const files = Array.from({ length: MAX_FILES_PER_BATCH }, () => replicateFiles.files[0]);
    const replicas = Array.from({ length: MAX_FILES_PER_BATCH }, () => replicasStored.replicas[0]);
    expect(parseMessage(NodeCommand, json({ ...replicateFiles, files })).ok).toBe(true);
    expect(parseMessage(ClusterEvent, json({ ...replicasStored, replicas })).ok).toBe(true);
  });

  const [file] = replicateFiles.files;
  const [replica] = replicasStored.replicas;
  const tooMany = MAX_FILES_PER_BATCH + 1;

  it.each([
    ['no files', { ...replicateFiles, files: [] }],
    ['more than MAX_FILES_PER_BATCH files', { ...replicateFiles, files: Array(tooMany).fill(file) }],
    ['content that is not base64', { ...replicateFiles, files: [{ ...file, content: 'not base64!' }] }],
    ['a bad file id', { ...replicateFiles, files: [file, { ...file, fileId: '../../etc/passwd' }] }],
  ])('rejects a ReplicateFiles with %s', (_case, body) => {
    expect(parseMessage(ReplicateFiles, json(body)).ok).toBe(false);
    expect(parseMessage(NodeCommand, json(body)).ok).toBe(false);
  });

  it.each([
    ['no replicas', { ...replicasStored, replicas: [] }],
    ['more than MAX_FILES_PER_BATCH replicas', { ...replicasStored, replicas: Array(tooMany).fill(replica) }],
    ['a bad file id', { ...replicasStored, replicas: [replica, { ...replica, fileId: 'not-a-uuid' }] }],
  ])('rejects a ReplicasStored with %s', (_case, body) => {
    expect(parseMessage(ReplicasStored, json(body)).ok).toBe(false);
    expect(parseMessage(ClusterEvent, json(body)).ok).toBe(false);
  });
});
