// What run.ts leaves on disk per finished run (and for the reference): enough to publish runs made by
// separate invocations (two in parallel on two cores, or across days) as one table, as long as they
// share one recipe and one data budget.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { collectResults, writePlots, writeReport, type ReferenceResult, type RunRecord } from './report.ts';
import { RUN_NAMES, type Recipe } from './runs.ts';

/** The image counts a run was trained and probed on (the subsets are a function of them and the seed). */
export interface DataSizes {
  pretrainImages: number;
  monitorLabels: number;
  probeTrainImages: number;
  probeTestImages: number;
}

/** What one finished run (or the reference) leaves on disk: enough to publish it with runs made elsewhere. */
export interface SavedRecord {
  recipe: Recipe;
  data: DataSizes;
  command: string;
  record?: RunRecord;
  reference?: ReferenceResult;
}

export function saveRecord(file: string, saved: SavedRecord): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(saved)}\n`);
}

function readRecords(dirs: string[]): Array<SavedRecord & { file: string }> {
  return dirs.flatMap((dir) => {
    if (!fs.existsSync(dir)) throw new Error(`${dir}: no such records folder (run.ts --records, default <out>/runs)`);
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => ({ ...(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as SavedRecord), file: path.join(dir, f) }));
  });
}

/** The full table's file name (README links to it): it only ever holds all six runs and the reference. */
const FULL_TABLE = 'fashion-mnist';

export interface PublishOptions {
  /** file names: <name>.json, <name>.md, <name>-loss.png... */
  name?: string;
  /** publish the runs recorded so far and list the missing ones, instead of refusing */
  partial?: boolean;
}

/** Every run once, the reference once, one recipe: anything else would publish a table that mixes budgets. */
export async function publishRecords(dirs: string[], to: string, { name = FULL_TABLE, partial = false }: PublishOptions = {}): Promise<string[]> {
  if (partial && name === FULL_TABLE) throw new Error(`a partial table needs a name other than ${FULL_TABLE}`);
  const saved = readRecords(dirs);
  const [first] = saved;
  if (!first) throw new Error(`no run records in ${dirs.join(', ')}`);
  for (const s of saved) {
    if (!isDeepStrictEqual(s.recipe, first.recipe) || !isDeepStrictEqual(s.data, first.data)) {
      throw new Error(`${s.file} was made with another recipe or data budget than ${first.file}`);
    }
  }
  const byName = new Map<string, SavedRecord & { file: string }>();
  for (const s of saved) {
    const run = s.record?.name ?? 'reference';
    if (byName.has(run)) throw new Error(`${run} recorded twice: ${byName.get(run)!.file} and ${s.file}`);
    byName.set(run, s);
  }
  const missing = [...RUN_NAMES, 'reference'].filter((n) => !byName.has(n));
  if (missing.length && !partial) throw new Error(`missing for a full table: ${missing.join(', ')}`);

  const present = RUN_NAMES.filter((n) => byName.has(n));
  const records: RunRecord[] = present.map((n) => byName.get(n)!.record!);
  const referenceRecord = byName.get('reference');
  const reference = (referenceRecord?.reference as ReferenceResult | undefined) ?? null;
  const commands = [...new Set([...present.map((n) => byName.get(n)!.command), ...(referenceRecord ? [referenceRecord.command] : [])])];

  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'fashion-mnist-publish-'));
  try {
    const results = { ...collectResults(records, reference, commands), ...(missing.length ? { missing } : {}) };
    const written = [...writeReport(staging, results, reference), ...(records.length ? await writePlots(staging, records, first.recipe.projectorDim) : [])];
    fs.mkdirSync(to, { recursive: true });
    // results.json -> <name>.json, loss.png -> <name>-loss.png
    return written.map((file) => {
      const base = path.basename(file);
      const target = path.join(to, base.startsWith('results.') ? base.replace('results', name) : `${name}-${base}`);
      fs.copyFileSync(file, target);
      return target;
    });
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
