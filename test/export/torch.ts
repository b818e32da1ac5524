// Runs exported backbones in Debian's PyTorch (/usr/bin/python3 with python3-torch and
// python3-torchvision; the python3 first on PATH may be another interpreter without them).
// Without torch the PyTorch tests skip with a message, except under CI=true, where they fail.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';

export const PYTHON = process.env.TORCH_PYTHON ?? '/usr/bin/python3';
const SCRIPT = path.join(import.meta.dirname, 'torch_features.py');

function probeTorch(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import torch, torchvision, numpy'], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `PyTorch not available (${PYTHON} cannot import torch, torchvision, numpy: ${(err as Error).message.split('\n')[0]}); install python3-torch python3-torchvision`;
  }
}

const missing = probeTorch();

/** node:test options: skip without torch locally; under CI the test runs and fails on `requireTorch`. */
export const torchTestOptions = { skip: missing && process.env.CI !== 'true' ? missing : false };

export function requireTorch() {
  if (missing) throw new Error(missing);
}

/** NHWC → NCHW, as ONNX and PyTorch take images. */
export function toNchw(x: tf.Tensor4D): { data: Float32Array; shape: [number, number, number, number] } {
  const t = tf.transpose(x, [0, 3, 1, 2]);
  const data = t.dataSync() as Float32Array;
  t.dispose();
  const [n, h, w, c] = x.shape;
  return { data, shape: [n, c, h, w] };
}

/** Features of `input` (NCHW) under the safetensors export, computed by PyTorch. */
export async function torchFeatures(exportBytes: Uint8Array, input: { data: Float32Array; shape: number[] }): Promise<{ features: Float32Array; report: { keys: number; backbone: string; shape: number[] } }> {
  requireTorch();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'simsiam-torch-'));
  try {
    const files = { export: path.join(dir, 'backbone.safetensors'), input: path.join(dir, 'input.f32'), output: path.join(dir, 'features.f32') };
    await fs.writeFile(files.export, exportBytes);
    await fs.writeFile(files.input, new Uint8Array(input.data.buffer, input.data.byteOffset, input.data.byteLength));
    const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, files.export, files.input, input.shape.join(','), files.output], {
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    const raw = await fs.readFile(files.output);
    return { features: new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4).slice(), report: JSON.parse(stdout) };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
