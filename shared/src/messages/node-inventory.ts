import { z } from 'zod';
import { FileId, NodeId, Sha256, Size, Timestamp } from './common.ts';

/** Most copies one NodeInventory lists; a larger store sends several, each for a range of ids. */
export const MAX_INVENTORY_ENTRIES = 2_000;

/** The lowest id an inventory range can start at. */
export const FIRST_FILE_ID = '00000000-0000-0000-0000-000000000000';

/**
 * Event: part of a node's inventory, the copies it holds for ids from `fromId` (inclusive) up to
 * `untilId` (exclusive; null: every id after), as listed from the store starting at `takenAt`.
 * The parts of one inventory cover every id without gaps. Ingest compares each part with its
 * records for that node and range: a replica the node lacks is owed again, a copy it should not
 * have is deleted.
 */
export const NodeInventory = z.object({
  type: z.literal('NodeInventory'),
  version: z.literal(1),
  node: NodeId,
  takenAt: Timestamp,
  fromId: FileId,
  untilId: FileId.nullable(),
  files: z.array(z.object({ fileId: FileId, sha256: Sha256, size: Size })).max(MAX_INVENTORY_ENTRIES),
});
export type NodeInventory = z.infer<typeof NodeInventory>;
