import { z } from 'zod';
import { AppError } from '../../../../../shared/src/errors.ts';
import { FileId } from '../../../../../shared/src/messages/common.ts';

/** A file id from a route parameter, validated before any lookup. */
export function fileIdParam(value: unknown): string {
  const parsed = FileId.safeParse(value);
  if (!parsed.success) throw new AppError('INVALID_ID', 'file id must be a UUID');
  return parsed.data;
}

const WaitQuery = z.object({
  wait: z.coerce.number().int().min(0).max(1000).optional(),
  timeout: z.coerce.number().int().min(0).max(600_000).default(30_000),
});

/** `?wait=<n>&timeout=<ms>` of an upload. */
export function waitQuery(query: unknown): { wait: number | undefined; timeoutMs: number } {
  const parsed = WaitQuery.safeParse(query);
  if (!parsed.success) throw new AppError('BAD_REQUEST', 'wait must be 0-1000 and timeout 0-600000 ms');
  return { wait: parsed.data.wait, timeoutMs: parsed.data.timeout };
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
