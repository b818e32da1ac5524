// Runs one computation on the cpu and wasm backends from the same random data and compares them.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { type WasmKernelSet, registerWasmTrainingKernels } from '../../../src/engine/kernels/index.ts';

/** Registers the wasm training kernels (ours alone unless `native`) and initialises both backends. */
export async function ready({ native = false }: { native?: boolean } = {}): Promise<WasmKernelSet> {
  const kernels = registerWasmTrainingKernels({ native });
  await tf.setBackend('wasm');
  await tf.setBackend('cpu');
  return kernels;
}

/** Deterministic values in [-1, 1) so cpu and wasm see identical inputs. */
export function randomValues(shape: number[], seed: number): Float32Array {
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let s = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

/**
 * Computes `run` on both backends; returns the results as flat arrays after checking that their
 * shapes agree and that neither the engine nor the backend kept any tensor (kernel intermediates
 * live in the backend).
 */
export async function onBothBackends(run: () => tf.Tensor[]): Promise<{ cpu: Float32Array[]; wasm: Float32Array[] }> {
  const results: Record<string, Float32Array[]> = {};
  const shapes: Record<string, number[][]> = {};
  for (const name of ['cpu', 'wasm']) {
    await tf.setBackend(name);
    const tensorsBefore = tf.memory().numTensors;
    const dataIdsBefore = tf.backend().numDataIds();
    const outs = tf.tidy(run);
    results[name] = outs.map((t) => t.dataSync() as Float32Array);
    shapes[name] = outs.map((t) => t.shape);
    tf.dispose(outs);
    assert.equal(tf.memory().numTensors, tensorsBefore, `${name}: engine tensors leaked`);
    assert.equal(tf.backend().numDataIds(), dataIdsBefore, `${name}: backend buffers leaked`);
  }
  assert.deepEqual(shapes.wasm, shapes.cpu, 'output shapes');
  return { cpu: results.cpu, wasm: results.wasm };
}

export function assertClose(actual: Float32Array, expected: Float32Array, label: string, tolerance = 1e-4): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let maxDiff = 0;
  let scale = 1e-6;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  assert.ok(maxDiff / scale <= tolerance, `${label}: relative error ${maxDiff / scale}`);
}

export interface ConvCase {
  x: [number, number, number, number];
  k: number;
  outChannels: number;
  stride: number;
  /** a number is PyTorch-style symmetric padding, what the engine's layers pass */
  pad: 'same' | 'valid' | number;
}

// Odd and even sizes, 1x1 and 3x3, strides 1/2, batch > 1, channels 1/3/16, and 'valid' cases
// whose last rows/cols no window reaches.
export const convCases: ConvCase[] = [
  { x: [2, 5, 5, 1], k: 3, outChannels: 3, stride: 1, pad: 'same' },
  { x: [2, 7, 7, 3], k: 3, outChannels: 16, stride: 2, pad: 'same' },
  { x: [2, 8, 8, 3], k: 3, outChannels: 16, stride: 2, pad: 'same' },
  { x: [3, 8, 8, 16], k: 1, outChannels: 3, stride: 2, pad: 'valid' },
  { x: [2, 7, 6, 3], k: 3, outChannels: 16, stride: 2, pad: 'valid' },
  { x: [1, 9, 9, 16], k: 3, outChannels: 16, stride: 1, pad: 'valid' },
  { x: [2, 6, 6, 3], k: 1, outChannels: 16, stride: 1, pad: 'same' },
  { x: [2, 7, 7, 16], k: 1, outChannels: 1, stride: 2, pad: 'same' },
  { x: [2, 7, 7, 1], k: 1, outChannels: 16, stride: 2, pad: 'valid' },
  { x: [2, 8, 8, 16], k: 3, outChannels: 16, stride: 2, pad: 1 },
  { x: [2, 7, 7, 3], k: 3, outChannels: 16, stride: 2, pad: 1 },
  { x: [2, 7, 7, 16], k: 3, outChannels: 3, stride: 1, pad: 1 },
];

export const describeCase = (c: ConvCase) => `x=${c.x.join('x')} k=${c.k} co=${c.outChannels} s=${c.stride} ${c.pad}`;

export function convOutShape(c: ConvCase): [number, number, number, number] {
  const [n, h, w] = c.x;
  const { k, stride, pad } = c;
  const size = (d: number) =>
    pad === 'same' ? Math.ceil(d / stride) : pad === 'valid' ? Math.ceil((d - k + 1) / stride) : Math.floor((d + 2 * pad - k) / stride) + 1;
  return [n, size(h), size(w), c.outChannels];
}
