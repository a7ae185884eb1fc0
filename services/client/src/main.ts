import { parseArgs } from 'node:util';
import { ApiClient, CliError } from './api-client.ts';
import * as cluster from './cluster-commands.ts';
import * as commands from './commands.ts';
import { colorsFor, Output } from './output.ts';
import { upload } from './upload.ts';

const USAGE = `usage: dfr <command> [options]
  upload <path...> [--wait N] [--timeout MS]   upload files, wait for N replicas (default: all)
  status <id> [--watch]                         replication status of a file (--watch: follow it live)
  events                                        the cluster's live events
  download <id> [-o PATH] [--from NODE]         download and verify a file
  ls [--limit N]                                list files, newest first
  nodes                                         nodes: state, zone, free space, files, drain progress
  nodes rm <node>                               forget a node (refused while a file needs it)
  drain <node> [--cancel]                       move every file off a node (or stop doing so)
  fsck [--repair] [--timeout MS]                under-replicated, missing, damaged, extra copies
  rm <id>                                       delete a file everywhere
options: --server URL (default $DFR_SERVER or http://127.0.0.1:9000); DFR_API_TOKEN is sent when set
         --json: machine-readable output, one JSON document (events and --watch: one object a line)
         on a terminal, upload draws a progress bar on stderr; colours only there, never with NO_COLOR`;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      server: { type: 'string' },
      wait: { type: 'string' },
      timeout: { type: 'string' },
      output: { type: 'string', short: 'o' },
      from: { type: 'string' },
      limit: { type: 'string' },
      cancel: { type: 'boolean' },
      watch: { type: 'boolean' },
      repair: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    if (!command && !values.help) process.exitCode = 2;
    return;
  }
  const server = (values.server ?? process.env.DFR_SERVER ?? 'http://127.0.0.1:9000').replace(/\/+$/, '');
  const api = new ApiClient(server, process.env.DFR_API_TOKEN || undefined);
  const out = new Output(values.json ?? false, process.stdout, process.stderr, process.env);
  const one = (what: string) => {
    if (args.length !== 1 || !args[0]) throw new UsageError(`${command} takes exactly one ${what}`);
    return args[0];
  };

  switch (command) {
    case 'upload':
      if (args.length === 0) throw new UsageError('upload needs at least one path');
      return upload(api, out, args, {
        wait: optionalInt(values.wait, '--wait'),
        timeoutMs: optionalInt(values.timeout, '--timeout') ?? 120_000,
      });
    case 'status':
      return commands.status(api, out, one('id'), { watch: values.watch ?? false });
    case 'events':
      return commands.events(api, out);
    case 'download':
      return commands.download(api, out, one('id'), { output: values.output, from: values.from });
    case 'ls':
      return commands.list(api, out, optionalInt(values.limit, '--limit') ?? 100);
    case 'nodes':
      if (args[0] === 'rm') {
        if (args.length !== 2 || !args[1]) throw new UsageError('nodes rm takes exactly one node');
        return cluster.removeNode(api, out, args[1]);
      }
      if (args.length > 0) throw new UsageError(`unknown nodes command ${args[0]}`);
      return cluster.nodes(api, out);
    case 'drain':
      return cluster.drain(api, out, one('node'), values.cancel ?? false);
    case 'fsck':
      return cluster.fsck(api, out, {
        repair: values.repair ?? false,
        timeoutMs: optionalInt(values.timeout, '--timeout') ?? 120_000,
      });
    case 'rm':
      return commands.remove(api, out, one('id'));
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

class UsageError extends Error {}

function optionalInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be a non-negative integer`);
  return n;
}

const failed = colorsFor(process.stderr, process.env).red('dfr:');
try {
  await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError || (err instanceof TypeError && 'code' in err)) {
    process.stderr.write(`${failed} ${err.message}\n${USAGE}\n`);
    process.exitCode = 2;
  } else if (err instanceof CliError) {
    process.stderr.write(`${failed} ${err.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`${failed} ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
