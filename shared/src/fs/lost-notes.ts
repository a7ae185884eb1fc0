import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FileId } from '../messages/common.ts';
import { writeFileAtomically } from './atomic-write.ts';
import { pathInside } from './safe-path.ts';

/**
 * Durable notes of copies dropped as damaged, one small file per copy in `<root>/lost/`, kept
 * until the loss has been reported: a note outlives a crash between dropping and reporting.
 */
export class LostNotes {
  private readonly dir: string;

  constructor(
    root: string,
    private readonly tmpDir: string,
  ) {
    this.dir = join(root, 'lost');
  }

  async note(id: string, reason: string): Promise<void> {
    await writeFileAtomically(this.pathOf(id), reason, this.tmpDir);
  }

  async list(): Promise<{ id: string; reason: string }[]> {
    const entries = await readdir(this.dir).catch(() => [] as string[]);
    const found: { id: string; reason: string }[] = [];
    for (const entry of entries) {
      if (!FileId.safeParse(entry).success) continue;
      const reason = await readFile(this.pathOf(entry), 'utf8').catch(() => undefined);
      if (reason !== undefined) found.push({ id: entry, reason });
    }
    return found;
  }

  async forget(id: string): Promise<void> {
    await rm(this.pathOf(id), { force: true });
  }

  /** `forget` for each of `ids` that has a note; one directory read when none has. */
  async forgetAmong(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const noted = new Set(await readdir(this.dir).catch(() => [] as string[]));
    if (noted.size === 0) return;
    for (const id of ids) if (noted.has(id)) await this.forget(id);
  }

  private pathOf(id: string): string {
    return pathInside(this.dir, FileId.parse(id));
  }
}
