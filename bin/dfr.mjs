#!/usr/bin/env node
// The `dfr` bin: bundles the CLI (scripts/build.mjs, ~50 ms) and runs it in this process.
import { buildBundles } from '../scripts/build.mjs';

await buildBundles();
await import('../dist/client.mjs');
