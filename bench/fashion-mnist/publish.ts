// Publishes issue #6's table from the run records in one or more folders (run.ts --records, default
// <out>/runs): results.json (the schema), results.md and the plots, to bench/results/fashion-mnist*.
//
//   node --import tsx bench/fashion-mnist/publish.ts bench/out/fm-a/runs bench/out/fm-b/runs [--to bench/results]
//       [--name fashion-mnist] [--partial]
// --partial publishes the runs recorded so far (the table says which are missing): give it a --name
// other than the full table's.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { publishRecords } from './records.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

async function main() {
  const { values, positionals } = parseArgs({
    options: {
      to: { type: 'string', default: path.join(ROOT, 'bench/results') },
      name: { type: 'string', default: 'fashion-mnist' },
      partial: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (!positionals.length) throw new Error('usage: publish.ts <records folder>... [--to bench/results] [--name fashion-mnist] [--partial]');
  const files = await publishRecords(positionals.map((d) => path.resolve(d)), path.resolve(values.to), { name: values.name, partial: values.partial });
  process.stdout.write(`${fs.readFileSync(files[1], 'utf8')}wrote ${files.map((f) => path.relative(ROOT, f)).join(', ')}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
