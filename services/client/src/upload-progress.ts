import cliProgress from 'cli-progress';
import { humanBytes } from '../../../shared/src/human-bytes.ts';

/** What `dfr upload` reports while it works: bytes sent (of the file's size), then verified replicas. */
export interface UploadProgress {
  sent(bytes: number, size: number): void;
  replicas(count: number, target: number): void;
  stop(): void;
}

/** The words beside the bar. */
export function progressLabel(phase: 'bytes' | 'replicas', value: number, total: number): string {
  return phase === 'bytes' ? `${humanBytes(value)} of ${humanBytes(total)}` : `replicas ${value}/${total}`;
}

/** A name fits in `width` characters, its end kept (the extension says most). */
export function fitName(name: string, width = 24): string {
  return name.length <= width ? name.padEnd(width) : `…${name.slice(name.length - width + 1)}`;
}

/**
 * A bar on a terminal (cli-progress: it redraws in place, throttles to 10 frames a second and
 * knows the terminal's width, which hand-written escape codes would have to relearn): the bytes
 * of the upload, then the same bar counting replicas up to the target. Drawn from the first
 * report on (a file that cannot be read shows none), and left on screen when done.
 */
export function barProgress(name: string, stream: NodeJS.WritableStream): UploadProgress {
  let bar: cliProgress.SingleBar | undefined;
  let phase: 'bytes' | 'replicas' = 'bytes';
  const draw = (value: number, total: number, label: string) => {
    if (!bar) {
      bar = new cliProgress.SingleBar({
        stream,
        format: '{name} [{bar}] {label}',
        barsize: 30,
        barCompleteChar: '#',
        barIncompleteChar: '.',
        hideCursor: true,
        fps: 10,
      });
      bar.start(Math.max(1, total), value, { name: fitName(name), label });
      return;
    }
    bar.setTotal(Math.max(1, total));
    bar.update(value, { label });
  };
  return {
    sent(bytes, size) {
      if (phase === 'bytes') draw(bytes, size, progressLabel('bytes', bytes, size));
    },
    replicas(count, target) {
      phase = 'replicas';
      draw(count, target, progressLabel('replicas', count, target));
    },
    stop() {
      bar?.stop();
    },
  };
}
