// Every method on vit-micro against the PyTorch reference (bench/reference/nets.py vit): loss, every
// gradient, and every parameter, statistic, momentum buffer and state after the update, to 1e-4
// relative. 8 px images in 4 px patches keep it fast (5 tokens).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineConfig } from '../../src/engine/index.ts';
import { setupBackend, tinyConfig } from '../engine/helpers.ts';
import { assertMatches, compareStep, torchMissing } from './harness.ts';

const skip = torchMissing();
before(setupBackend);

const config = (overrides: Record<string, unknown>) =>
  tinyConfig({ backbone: 'vit-micro', patchSize: 4, imageSize: 8, batchSize: 6, projectorDim: 16, weightDecay: 5e-4, ...overrides }) as EngineConfig;

const cases: Array<[string, Record<string, unknown>, number]> = [
  ['simsiam, sin-cos positions, class token', {}, 0],
  ['simsiam after 2 steps, learned positions, mean pooling, 1 channel', { posEmbed: 'learned', pool: 'mean', channels: 1 }, 2],
  ['simclr (LARS)', { method: 'simclr', projectorHiddenDim: 24 }, 1],
  ['simclr (SGD), 2x2 patches', { method: 'simclr', projectorHiddenDim: 24, optimizer: 'sgd', patchSize: 2 }, 0],
  ['moco-v2', { method: 'moco-v2', projectorHiddenDim: 24, queueSize: 16, keyBnSplits: 2 }, 2],
  ['byol', { method: 'byol', projectorHiddenDim: 24, predictorHiddenDim: 12 }, 1],
  ['swav', { method: 'swav', projectorHiddenDim: 24, prototypes: 8 }, 1],
  // SGD: AdamW steps every element by about lr whatever its gradient, and the attention key bias's
  // gradient is zero up to rounding (softmax ignores a shift shared by a row), so its sign is noise
  ['moco-v3 (SGD), patch projection frozen', { method: 'moco-v3', projectorHiddenDim: 24, predictorHiddenDim: 12, optimizer: 'sgd', baseLr: 0.5, warmupEpochs: 0 }, 1],
];

for (const [name, overrides, warmupSteps] of cases) {
  test(`vit-micro matches PyTorch: ${name}`, { skip }, async () => {
    const compared = assertMatches(await compareStep(config(overrides), { warmupSteps }));
    assert.ok(compared > 100, `compared ${compared} tensors`);
  });
}
