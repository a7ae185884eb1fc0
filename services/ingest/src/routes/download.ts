import { Readable } from 'node:stream';
import type { RequestHandler } from 'express';
import { AppError } from '../../../../shared/src/errors.ts';
import { type BlobToSend, sendBlob } from '../../../../shared/src/http/send-blob.ts';
import type { FileStatus } from '../metadata-store.ts';
import type { IngestContext } from './context.ts';
import { fileIdParam } from './params.ts';

/**
 * `GET /files/<id>`: from the data directory, or, when the main copy is missing or does not
 * match the metadata, from a healthy node holding a verified replica.
 */
export function downloadFile(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    const file = ctx.metadata.getFile(fileIdParam(req.params.id));
    if (!file) throw new AppError('NOT_FOUND', 'no such file');
    const local = await ctx.blobs.get(file.id);
    if (local && local.sha256 === file.sha256 && local.size === file.size) {
      await sendBlob(req, res, { ...blobInfo(file), open: (range) => ctx.blobs.read(file.id, range) });
      return;
    }
    const source = replicaSource(ctx, file);
    if (!source) throw new AppError('NOT_FOUND', 'no readable copy of this file is available');
    ctx.logger.warn({ fileId: file.id, node: source.node }, 'main copy unavailable; serving from a node');
    await sendBlob(req, res, {
      ...blobInfo(file),
      open: (range) => fetchFromNode(source.url, file.id, range, ctx.config.clusterToken),
    });
  };
}

/** `GET /internal/blobs/<id>`: the main copy, for workers (guarded by the cluster token). */
export function internalBlob(ctx: IngestContext): RequestHandler {
  return async (req, res) => {
    const id = fileIdParam(req.params.id);
    const file = ctx.metadata.getFile(id);
    const local = file ? await ctx.blobs.get(id) : undefined;
    if (!file || !local || local.sha256 !== file.sha256) throw new AppError('NOT_FOUND', 'no such blob');
    await sendBlob(req, res, { ...blobInfo(file), open: (range) => ctx.blobs.read(id, range) });
  };
}

function blobInfo(file: FileStatus): Omit<BlobToSend, 'open'> {
  return { size: file.size, sha256: file.sha256, name: file.name, contentType: file.contentType };
}

function replicaSource(ctx: IngestContext, file: FileStatus): { node: string; url: string } | undefined {
  for (const receipt of file.nodes) {
    if (receipt.state !== 'stored' || receipt.sha256 !== file.sha256) continue;
    const url = ctx.registry.urlOf(receipt.node);
    if (url) return { node: receipt.node, url };
  }
  return undefined;
}

async function fetchFromNode(
  baseUrl: string,
  id: string,
  range: { start: number; end: number } | undefined,
  clusterToken: string | undefined,
) {
  const headers: Record<string, string> = range ? { range: `bytes=${range.start}-${range.end}` } : {};
  // A node that protects its downloads lets ingest in with the cluster token.
  if (clusterToken) headers.authorization = `Bearer ${clusterToken}`;
  const response = await fetch(`${baseUrl}/files/${id}`, { headers });
  if (!response.ok || !response.body)
    throw new AppError('BAD_GATEWAY', 'the node holding the replica did not answer');
  return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
}
