import { createHash } from 'node:crypto';
import { z } from 'zod';
import { waitFor } from './wait-for.ts';

export const sha256 = (bytes: Buffer | Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex');

export const StatusBody = z.object({
  id: z.string(),
  name: z.string(),
  size: z.number(),
  sha256: z.string(),
  status: z.string(),
  replicas: z.number(),
  target: z.number(),
  nodes: z.array(
    z.object({
      node: z.string(),
      state: z.string(),
      sha256: z.string().optional(),
      storedAt: z.string().optional(),
      healing: z.boolean().optional(),
      displaced: z.boolean().optional(),
      nodeDown: z.boolean().optional(),
    }),
  ),
});
export type StatusBody = z.infer<typeof StatusBody>;

/** `POST /files` with the bytes in field `file`. */
export async function uploadMultipart(base: string, name: string, bytes: Buffer, query = '') {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), name);
  const response = await fetch(`${base}/files${query}`, { method: 'POST', body: form });
  return { response, body: (await response.json()) as unknown };
}

/** `PUT /files/<name>` with the bytes as the body. */
export async function uploadPut(base: string, name: string, bytes: Buffer, query = '') {
  const response = await fetch(`${base}/files/${encodeURIComponent(name)}${query}`, {
    method: 'PUT',
    body: new Uint8Array(bytes),
  });
  return { response, body: (await response.json()) as unknown };
}

export async function getStatus(base: string, id: string): Promise<StatusBody> {
  const response = await fetch(`${base}/files/${id}/status`);
  if (!response.ok) throw new Error(`status of ${id}: ${response.status}`);
  return StatusBody.parse(await response.json());
}

/** Waits until the file has `replicas` verified copies. */
export async function waitForReplicas(
  base: string,
  id: string,
  replicas = 3,
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(
    async () => (await getStatus(base, id)).status === `UPLOAD_OK ${replicas}`,
    timeoutMs,
    `UPLOAD_OK ${replicas} for ${id}`,
  );
}

export async function download(url: string): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const response = await fetch(url);
  return {
    status: response.status,
    bytes: Buffer.from(await response.arrayBuffer()),
    headers: response.headers,
  };
}
