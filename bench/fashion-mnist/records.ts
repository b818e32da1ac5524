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

/** Every run once, the reference once, one recipe: anything else would publish a table that mixes budgets. */
export async function publishRecords(dirs: string[], to: string): Promise<string[]> {
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
    const name = s.record?.name ?? 'reference';
    if (byName.has(name)) throw new Error(`${name} recorded twice: ${byName.get(name)!.file} and ${s.file}`);
    byName.set(name, s);
  }
  const missing = [...RUN_NAMES, 'reference'].filter((n) => !byName.has(n));
  if (missing.length) throw new Error(`missing for a full table: ${missing.join(', ')}`);

  const records: RunRecord[] = RUN_NAMES.map((n) => byName.get(n)!.record!);
  const referenceRecord = byName.get('reference')!;
  const reference = referenceRecord.reference as ReferenceResult;
  const commands = [...new Set([...RUN_NAMES.map((n) => byName.get(n)!.command), referenceRecord.command])];

  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'fashion-mnist-publish-'));
  try {
    const results = collectResults(records, reference, commands);
    const written = [...writeReport(staging, results, reference), ...(await writePlots(staging, records, first.recipe.projectorDim))];
    fs.mkdirSync(to, { recursive: true });
    // results.json -> fashion-mnist.json, loss.png -> fashion-mnist-loss.png: the names README links to
    return written.map((file) => {
      const base = path.basename(file);
      const target = path.join(to, base.startsWith('results.') ? base.replace('results', 'fashion-mnist') : `fashion-mnist-${base}`);
      fs.copyFileSync(file, target);
      return target;
    });
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
