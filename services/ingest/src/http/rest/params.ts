import { z } from 'zod';
import { AppError } from '../../../../../shared/src/errors.ts';
import { FileId } from '../../../../../shared/src/messages/common.ts';
import { MAX_REPLICAS } from '../../cluster/placer.ts';

/** A file id from a route parameter, validated before any lookup. */
export function fileIdParam(value: unknown): string {
  const parsed = FileId.safeParse(value);
  if (!parsed.success) throw new AppError('INVALID_ID', 'file id must be a UUID');
  return parsed.data;
}

const UploadQuery = z.object({
  wait: z.coerce.number().int().min(0).max(1000).optional(),
  timeout: z.coerce.number().int().min(0).max(600_000).default(30_000),
  replicas: z.coerce.number().int().min(1).max(MAX_REPLICAS).optional(),
});

export interface UploadQuery {
  wait: number | undefined;
  timeoutMs: number;
  /** Replicas wanted for this file; undefined: DFR_REPLICAS. */
  replicas: number | undefined;
}

/** `?wait=<n>&timeout=<ms>&replicas=<n>` of an upload. */
export function uploadQuery(query: unknown): UploadQuery {
  const parsed = UploadQuery.safeParse(query);
  if (!parsed.success) {
    throw new AppError(
      'BAD_REQUEST',
      `wait must be 0-1000, timeout 0-600000 ms and replicas 1-${MAX_REPLICAS}`,
    );
  }
  return { wait: parsed.data.wait, timeoutMs: parsed.data.timeout, replicas: parsed.data.replicas };
}

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z
    .string()
    .regex(/^\d{1,15}$/)
    .optional(),
});

/** `?limit=&cursor=` of a listing. */
export function listQuery(query: unknown): { limit: number; cursor: string | undefined } {
  const parsed = ListQuery.safeParse(query);
  if (!parsed.success)
    throw new AppError('BAD_REQUEST', 'limit must be 1-1000 and cursor a value from "next"');
  return { limit: parsed.data.limit, cursor: parsed.data.cursor };
}
