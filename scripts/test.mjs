// `npm test`: every test/**/*.test.ts (or the files given as arguments), each file in its own
// process as `node --test` runs them, in two phases so that CI fits a 2-core machine:
//   1. files that mostly wait (HTTP, PostgreSQL, s3rver, queue polls, timers), several at a time;
//   2. files that keep a core busy (training, the cpu backend, PyTorch, chromium), two at a time and
//      longest first, so that two of them never fight over one core and none starts last.
// Run under `node --import tsx`: node:test's run() gives each file process the same --import.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Directories and files of phase 2; everything else is phase 1.
const BUSY = [
  'test/engine/',
  'test/reference/',
  'test/workers/',
  'test/faults/',
  'test/export/',
  'test/probe/',
  'test/experiments/',
  'test/cli/',
  'test/ui/dashboard.test.ts',
  'test/api/embeddings.test.ts',
  'test/api/evaluations.test.ts',
  'test/api/jobs.budget.test.ts',
  'test/bench/referenceTrain.test.ts',
];
// Phase 2's longest files in a run of this script, longest first: started first, so that the phase
// does not end with one of them running alone. Unlisted files follow in path order.
const LONGEST_FIRST = [
  'test/engine/vit.test.ts',
  'test/faults/workerKills.test.ts',
  'test/cli/cli.test.ts',
  'test/reference/vit.test.ts',
  'test/workers/crash.test.ts',
  'test/export/jobExport.test.ts',
  'test/ui/dashboard.test.ts',
  'test/engine/methods/simsiam.test.ts',
  'test/workers/contrastiveMethods.test.ts',
];

const PHASES = [
  { name: 'waiting on services', concurrency: 4, busy: false },
  { name: 'computing', concurrency: 2, busy: true },
];

function testFiles(dir) {
  return fs
    .readdirSync(path.join(root, dir), { recursive: true })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.posix.join(dir, f.split(path.sep).join('/')));
}

const relative = (f) => path.relative(root, path.resolve(f)).split(path.sep).join('/');
const files = (process.argv.length > 2 ? process.argv.slice(2).map(relative) : testFiles('test')).sort();
const isBusy = (f) => BUSY.some((b) => (b.endsWith('/') ? f.startsWith(b) : f === b));
const rank = (f) => (LONGEST_FIRST.includes(f) ? LONGEST_FIRST.indexOf(f) : LONGEST_FIRST.length);

// The native kernel pack's OpenMP threads spin between kernels by default. With files side by side
// on every core, a spinning thread holds a core that its sibling thread or another file needs, and a
// training step takes many times longer; passive threads sleep instead. An explicit setting wins.
process.env.OMP_WAIT_POLICY ??= 'PASSIVE';

let failed = false;
for (const phase of PHASES) {
  const mine = files.filter((f) => isBusy(f) === phase.busy).sort((a, b) => rank(a) - rank(b));
  if (mine.length === 0) continue;
  process.stdout.write(`\n== ${mine.length} test files ${phase.name}, ${phase.concurrency} at a time\n`);
  const stream = run({ files: mine.map((f) => path.join(root, f)), concurrency: phase.concurrency });
  stream.on('test:fail', (data) => {
    if (!data.todo) failed = true;
  });
  await new Promise((resolve, reject) => {
    const out = stream.compose(spec);
    out.on('end', resolve);
    out.on('error', reject);
    out.pipe(process.stdout, { end: false });
  });
}
process.exitCode = failed ? 1 : 0;
