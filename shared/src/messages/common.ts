import { z } from 'zod';

/** File ids are UUIDs chosen by ingest; nothing else is ever used to build a path. */
export const FileId = z.uuid();
export const NodeId = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/);
export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
export const Size = z.number().int().nonnegative();
export const Timestamp = z.iso.datetime();
/** A media type as ingest keeps it (`type/subtype`, lower case, no parameters). */
export const MediaType = z
  .string()
  .max(255)
  .regex(/^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/);
/**
 * Where a process fetches from or is reached at: http(s) only, so a forged message cannot point a
 * worker's cluster token at a `file:` or other scheme.
 */
export const HttpUrl = z.url({ protocol: /^https?$/ }).max(2048);
