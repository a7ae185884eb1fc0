import { z } from 'zod';

/** File ids are UUIDs chosen by ingest; nothing else is ever used to build a path. */
export const FileId = z.uuid();
export const NodeId = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/);
export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
export const Size = z.number().int().nonnegative();
export const Timestamp = z.iso.datetime();
