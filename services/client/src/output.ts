import picocolors from 'picocolors';

type Colors = ReturnType<typeof picocolors.createColors>;

/** A stream as far as the CLI cares: where lines go, and whether a person is watching it. */
export type Terminal = NodeJS.WritableStream & { isTTY?: boolean };

/**
 * Colours only where a person reads them: a terminal, and `NO_COLOR` unset or empty
 * (no-color.org). picocolors' own check would also colour on CI=true and in pipes given
 * FORCE_COLOR, which would break the lines that tools parse, so the CLI decides itself.
 */
export function colorsFor(stream: Terminal, env: NodeJS.ProcessEnv): Colors {
  return picocolors.createColors(stream.isTTY === true && !env.NO_COLOR);
}

/**
 * Where a command's answer goes. In text mode, `result` runs the command's own printer; with
 * `--json`, it prints the one JSON document instead (`stream` is for the commands that follow
 * events: one JSON object per line, as they come).
 */
export class Output {
  readonly colors: Colors;

  constructor(
    readonly json: boolean,
    readonly stdout: Terminal,
    readonly stderr: Terminal,
    env: NodeJS.ProcessEnv,
  ) {
    this.colors = colorsFor(stdout, env);
  }

  /** A line of text, in text mode only. */
  line(text: string): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /** The command's answer: `document` as JSON, or the text `print` writes. */
  result(document: unknown, print: () => void): void {
    if (this.json) this.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    else print();
  }

  /** One item of a stream: a JSON line, or the text `print` writes. */
  stream(item: unknown, print: () => void): void {
    if (this.json) this.stdout.write(`${JSON.stringify(item)}\n`);
    else print();
  }

  /** True when progress can be drawn: stderr is a terminal (stdout may be piped). */
  get interactive(): boolean {
    return this.stderr.isTTY === true;
  }
}

/** A replica state coloured by what it means: green stored, yellow pending, red failed or down. */
export function paintState(colors: Colors, state: string, text = state): string {
  if (state === 'stored' || state === 'up' || state === 'drained') return colors.green(text);
  if (state === 'pending' || state === 'suspect' || state === 'draining') return colors.yellow(text);
  if (state === 'failed' || state === 'down') return colors.red(text);
  return text;
}
