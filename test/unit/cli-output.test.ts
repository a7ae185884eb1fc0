import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { colorsFor, Output, paintState, type Terminal } from '../../services/client/src/output.ts';
import { barProgress, fitName, progressLabel } from '../../services/client/src/upload-progress.ts';

/** A stream that keeps what was written, a terminal or not. */
function sink(isTTY: boolean): Terminal & { text(): string } {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  stream.isTTY = isTTY;
  stream.columns = 100;
  return Object.assign(stream, { text: () => text });
}

const ESC = '\u001b[';

describe('CLI output', () => {
  it('colours a terminal only, and never with NO_COLOR set', () => {
    expect(colorsFor(sink(true), {}).green('ok')).toContain(ESC);
    expect(colorsFor(sink(false), { FORCE_COLOR: '1', CI: 'true' }).green('ok')).toBe('ok');
    expect(colorsFor(sink(true), { NO_COLOR: '1' }).green('ok')).toBe('ok');
    // NO_COLOR set but empty does not count (no-color.org).
    expect(colorsFor(sink(true), { NO_COLOR: '' }).green('ok')).toContain(ESC);
  });

  it('prints lines in text mode and one JSON document with --json', () => {
    const text = sink(false);
    const plain = new Output(false, text, sink(false), {});
    plain.line('a');
    plain.result({ x: 1 }, () => plain.line('b'));
    expect(text.text()).toBe('a\nb\n');

    const json = sink(false);
    const machine = new Output(true, json, sink(false), {});
    machine.line('not shown');
    machine.result({ x: 1 }, () => machine.line('nor this'));
    expect(JSON.parse(json.text())).toEqual({ x: 1 });
  });

  it('streams one JSON object a line with --json', () => {
    const json = sink(false);
    const machine = new Output(true, json, sink(false), {});
    machine.stream({ a: 1 }, () => undefined);
    machine.stream({ b: 2 }, () => undefined);
    expect(
      json
        .text()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('paints states by meaning and keeps their padding', () => {
    const colors = colorsFor(sink(true), {});
    expect(paintState(colors, 'stored', 'stored  ')).toBe(colors.green('stored  '));
    expect(paintState(colors, 'failed')).toBe(colors.red('failed'));
    expect(paintState(colors, 'somethingelse')).toBe('somethingelse');
  });
});

describe('the upload bar', () => {
  it('labels bytes, then replicas', () => {
    expect(progressLabel('bytes', 1024, 3 * 1024 * 1024)).toBe('1.0 KiB of 3.0 MiB');
    expect(progressLabel('replicas', 2, 3)).toBe('replicas 2/3');
  });

  it('fits names, keeping their end', () => {
    expect(fitName('a.txt', 8)).toBe('a.txt   ');
    expect(fitName('a-very-long-name.tar.gz', 10)).toBe('…me.tar.gz');
  });

  it('draws on a terminal from bytes to replicas, and stays on screen', () => {
    const terminal = sink(true);
    const bar = barProgress('photo.jpg', terminal);
    bar.sent(512, 1024);
    bar.sent(1024, 1024);
    bar.replicas(1, 3);
    bar.replicas(3, 3);
    bar.stop();
    const screen = terminal.text();
    expect(screen).toContain('photo.jpg');
    expect(screen).toContain('512 B of 1.0 KiB');
    expect(screen).toContain('replicas 3/3');
    expect(screen).toContain('#'.repeat(30));
  });

  it('draws nothing before the first report', () => {
    const terminal = sink(true);
    barProgress('missing.bin', terminal).stop();
    expect(terminal.text()).toBe('');
  });
});
