import { z } from 'zod';
import { DeleteFile } from './delete-file.ts';
import { NodeHeartbeat } from './node-heartbeat.ts';
import { NodeInventory } from './node-inventory.ts';
import { ReplicaDeleted } from './replica-deleted.ts';
import { ReplicaFailed } from './replica-failed.ts';
import { ReplicaLost } from './replica-lost.ts';
import { ReplicaStored } from './replica-stored.ts';
import { ReplicasStored } from './replicas-stored.ts';
import { ReplicateFile } from './replicate-file.ts';
import { ReplicateFiles } from './replicate-files.ts';

export {
  DeleteFile,
  NodeHeartbeat,
  NodeInventory,
  ReplicaDeleted,
  ReplicaFailed,
  ReplicaLost,
  ReplicaStored,
  ReplicasStored,
  ReplicateFile,
  ReplicateFiles,
};

/** What a node's queue carries. */
export const NodeCommand = z.discriminatedUnion('type', [ReplicateFile, ReplicateFiles, DeleteFile]);
export type NodeCommand = z.infer<typeof NodeCommand>;

/** What ingest consumes from the events exchange. */
export const ClusterEvent = z.discriminatedUnion('type', [
  ReplicaStored,
  ReplicasStored,
  ReplicaFailed,
  ReplicaLost,
  ReplicaDeleted,
  NodeHeartbeat,
  NodeInventory,
]);
export type ClusterEvent = z.infer<typeof ClusterEvent>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Parses a message body; never throws, so a consumer can dead-letter what fails. */
export function parseMessage<S extends z.ZodType>(schema: S, body: Buffer): ParseResult<z.infer<S>> {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, error: 'body is not JSON' };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: z.prettifyError(result.error).slice(0, 500) };
}

export function encodeMessage(message: NodeCommand | ClusterEvent): Buffer {
  return Buffer.from(JSON.stringify(message));
}
