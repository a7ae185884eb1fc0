// `npm run export -- --store <dir> --out <dir>`: every verified copy of a store as plain files.
import { parseArgs } from 'node:util';
import { exportStore } from '../shared/src/fs/export-store.ts';

const { values } = parseArgs({
  options: { store: { type: 'string' }, out: { type: 'string' } },
});
if (!values.store || !values.out) {
  console.error('usage: npm run export -- --store <store dir> --out <folder for the files>');
  process.exit(2);
}
const report = await exportStore(values.store, values.out);
console.log(`exported ${report.exported} files (${report.bytes} bytes) to ${values.out}`);
for (const id of report.damaged) console.error(`damaged, not exported: ${id}`);
process.exit(report.damaged.length > 0 ? 1 : 0);
