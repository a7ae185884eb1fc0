import { z } from 'zod';
import { FileId, NodeId } from './common.ts';

/** Command to a node: drop its copy of this file. Idempotent. */
export const DeleteFile = z.object({
  type: z.literal('DeleteFile'),
  version: z.literal(1),
  fileId: FileId,
  node: NodeId,
});
export type DeleteFile = z.infer<typeof DeleteFile>;
