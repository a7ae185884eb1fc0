/**
 * Streams `CHUNKS` 64 KiB chunks (default 8192: 512 MiB) through a hashing Transform into a
 * Writable that takes them in writev batches of up to 512 KiB, the shape of a worker's copy, while
 * ~12 MB of unrelated objects stay live, as a service's modules and caches do. Prints how many
 * major and minor collections ran, as JSON. Run it with the Node flags under test.
 */
import { createHash } from 'node:crypto';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const counts = { major: 0, minor: 0 };
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) counts.major += 1;
    else if (entry.detail.kind === constants.NODE_PERFORMANCE_GC_MINOR) counts.minor += 1;
  }
});
observer.observe({ entryTypes: ['gc'] });

const resident = Array.from({ length: 120_000 }, (_, i) => ({ i, name: `x${i}`, pair: [i, i + 1] }));
const chunk = Buffer.alloc(64 * 1024, 1);
const chunks = Number(process.env.CHUNKS ?? 8192);
let sent = 0;
const source = new Readable({
  read() {
    this.push(sent++ < chunks ? Buffer.from(chunk) : null);
  },
});
const hash = createHash('sha256');
const hashing = new Transform({
  transform(data, _encoding, callback) {
    hash.update(data);
    callback(null, data);
  },
});
const sink = new Writable({
  highWaterMark: 512 * 1024,
  writev: (_batch, callback) => setImmediate(callback),
});
await pipeline(source, hashing, sink);
// PerformanceObserver delivers entries asynchronously.
await new Promise((resolve) => setTimeout(resolve, 50));
observer.disconnect();
process.stdout.write(JSON.stringify({ ...counts, resident: resident.length, sha256: hash.digest('hex') }));
