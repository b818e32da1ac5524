// Reference checks: the engine and an independent PyTorch implementation (bench/reference/) take one
// step of a method from the same weights, optimizer state and augmented views. The engine's state
// is handed over as a checkpoint plus the views; PyTorch answers with its loss, the gradient of every
// trainable parameter and everything after the update (parameters, BN statistics, target networks,
// momentum buffers, host state such as queues and memory banks).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { type EngineConfig, type NamedArray, Prng, Trainer, augmentViews, decodeCheckpoint } from '../../src/engine/index.ts';
import { referenceInput } from '../../bench/reference/referenceInput.ts';
import { randomImages } from '../engine/helpers.ts';

export const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const CHECK_STEP = path.resolve(import.meta.dirname, '../../bench/reference/check_step.py');

/** Why the references cannot run here, or undefined. In CI a missing torch is a failure, not a skip. */
export function torchMissing(): string | undefined {
  try {
    // finds the package without importing it: the import is check_step.py's, once per file
    execFileSync(PYTHON, ['-c', 'import importlib.util, sys; sys.exit(importlib.util.find_spec("torch") is None)'], { stdio: 'ignore' });
    return undefined;
  } catch {
    const reason = `PyTorch is not installed for ${PYTHON} (apt-get install python3-torch)`;
    if (process.env.CI) throw new Error(reason);
    return reason;
  }
}

export interface StepComparison {
  engine: { loss: number; tensors: Map<string, NamedArray> };
  reference: { loss: number; tensors: Map<string, NamedArray> };
}

interface CheckOptions {
  /** engine steps on other random views before the compared step (momentum, queues, memory filled) */
  warmupSteps?: number;
  stepsPerEpoch?: number;
  batchSize?: number;
  datasetSize?: number;
  /** dataset positions of the batch rows at every step */
  indicesAt?: (step: number) => Int32Array;
}

const byName = (arrays: NamedArray[]) => new Map(arrays.map((a) => [a.name, a]));

/** check_step.py, started by the first check of a test file and serving all of them (torch imports slowly). */
let checker: { child: ChildProcess; answers: AsyncIterator<string> } | undefined;
after(() => {
  checker?.child.stdin!.end();
});

/** Starts the PyTorch step for `input` (an engine bundle); resolves once `output` is written. */
function referenceStep(input: string, output: string): Promise<void> {
  if (!checker) {
    const child = spawn(PYTHON, [CHECK_STEP], { stdio: ['pipe', 'pipe', 'inherit'] });
    checker = { child, answers: readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]() };
  }
  const { child, answers } = checker;
  child.stdin!.write(`${input}\t${output}\n`);
  return answers.next().then(({ value, done }) => {
    if (done) throw new Error(`check_step.py exited (code ${child.exitCode}, signal ${child.signalCode})`);
    if (value !== 'ok') throw new Error(`check_step.py: ${value} (its traceback is above)`);
  });
}

/** One compared step of `config`'s method after `warmupSteps` engine steps. */
export async function compareStep(config: EngineConfig, opts: CheckOptions = {}): Promise<StepComparison> {
  const { warmupSteps = 0, stepsPerEpoch = 4, batchSize = config.batchSize, datasetSize = 2 * batchSize } = opts;
  const indicesAt = opts.indicesAt ?? ((s: number) => Int32Array.from({ length: batchSize }, (_, i) => (s * batchSize + i) % datasetSize));
  const rng = new Prng(11);
  const trainer = new Trainer(config, stepsPerEpoch, datasetSize);
  const viewsAt = (seed: number) => augmentViews(randomImages(batchSize, config.imageSize + 2, config.channels, seed), config, rng, trainer.method.views);
  for (let s = 0; s < warmupSteps; s++) {
    const v = viewsAt(100 + s);
    trainer.stepOnViews(v, indicesAt(s));
    tf.dispose(v);
  }
  const views = viewsAt(7);
  const indices = indicesAt(warmupSteps);

  const probe = Trainer.restore(trainer.serialize());
  const { loss, grads } = probe.gradients(views, indices);
  probe.dispose();

  const dir = mkdtempSync(path.join(os.tmpdir(), 'reference-'));
  try {
    const input = path.join(dir, 'in.bin');
    const output = path.join(dir, 'out.bin');
    writeFileSync(input, referenceInput(trainer, {
      meta: { indices: [...indices] },
      tensors: views.map((v, i) => ({ name: `view/${i}`, shape: v.shape, data: v.dataSync() as Float32Array })),
    }));
    const referenceDone = referenceStep(input, output);
    // the engine's step meanwhile
    let stepped: NamedArray[];
    try {
      trainer.stepOnViews(views, indices);
      tf.dispose(views);
      stepped = decodeCheckpoint<Record<string, unknown>>(trainer.serialize()).tensors;
      trainer.dispose();
    } catch (err) {
      // the answer still comes: take it, or the next check would read this one's
      await referenceDone.catch(() => undefined);
      throw err;
    }
    await referenceDone;
    const reference = decodeCheckpoint<{ loss: number }>(readFileSync(output));
    return {
      engine: { loss, tensors: byName([...grads.map((g) => ({ ...g, name: `grad/${g.name}` })), ...stepped]) },
      reference: { loss: reference.meta.loss, tensors: byName(reference.tensors) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Largest |a - b| / (|b|max + atol) over each tensor both sides have; throws naming the worst tensor. */
export function assertMatches(c: StepComparison, { rtol = 1e-4, atol = 1e-6, prefixes = ['grad/', 'param/', 'momentum/', 'adamw.', 'state/'] } = {}): number {
  const lossErr = Math.abs(c.engine.loss - c.reference.loss) / Math.max(Math.abs(c.reference.loss), atol);
  if (!(lossErr <= rtol)) throw new Error(`loss: engine ${c.engine.loss}, reference ${c.reference.loss}`);
  let compared = 0;
  for (const [name, ref] of c.reference.tensors) {
    if (!prefixes.some((p) => name.startsWith(p))) continue;
    const mine = c.engine.tensors.get(name);
    if (!mine) throw new Error(`the engine has no ${name}`);
    if (mine.shape.join() !== ref.shape.join()) throw new Error(`${name}: shape [${mine.shape}] vs [${ref.shape}]`);
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < ref.data.length; i++) {
      scale = Math.max(scale, Math.abs(ref.data[i]));
      diff = Math.max(diff, Math.abs(mine.data[i] - ref.data[i]));
    }
    if (!(diff <= rtol * scale + atol)) throw new Error(`${name}: max |diff| ${diff} over max |ref| ${scale}`);
    compared++;
  }
  for (const name of c.engine.tensors.keys()) {
    if (prefixes.some((p) => name.startsWith(p)) && !c.reference.tensors.has(name)) throw new Error(`the reference has no ${name}`);
  }
  return compared;
}

