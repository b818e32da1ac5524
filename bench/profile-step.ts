// Where a training step's time goes: one step of the tiny ResNet (28x28x1, batch 128, default heads)
// under tf.profile, kernel time summed per kernel name, largest first. Nested kernels (those a
// tf.customGrad forward runs) are counted in their own row and again in "forward".
//   node --import tsx bench/profile-step.ts [--kernels native|wasm] [--top 25]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { resolveTrainingConfig } from '../src/domain/trainingConfig.ts';
import { Prng, Trainer, initBackend } from '../src/engine/index.ts';
import { registerWasmTrainingKernels } from '../src/engine/kernels/index.ts';

const { values: args } = parseArgs({ options: { kernels: { type: 'string', default: 'native' }, top: { type: 'string', default: '25' } } });
const resolved = resolveTrainingConfig({ backbone: (process.env.BACKBONE ?? 'resnet-tiny') as 'resnet-tiny', imageSize: 28, channels: 1, batchSize: 128 });
if ('issues' in resolved) throw new Error(JSON.stringify(resolved.issues));
const kernels = registerWasmTrainingKernels({ native: args.kernels === 'native' });
await initBackend('wasm');

const rng = new Prng(1);
const shape: [number, number, number, number] = [128, 28, 28, 1];
const images = { data: Uint8Array.from({ length: 128 * 28 * 28 }, () => Math.floor(rng.next() * 256)), shape };
const trainer = new Trainer(resolved.config, 1000);
trainer.step(images);
trainer.step(images);
const info = await tf.profile(() => {
  trainer.step(images);
});
trainer.dispose();

const byName = new Map<string, { ms: number; calls: number }>();
for (const k of info.kernels) {
  const entry = byName.get(k.name) ?? { ms: 0, calls: 0 };
  entry.ms += k.kernelTimeMs as number;
  entry.calls++;
  byName.set(k.name, entry);
}
const rows = [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(args.top));
console.log(JSON.stringify({ kernels, kernelsByTime: rows.map(([name, e]) => ({ name, ms: Math.round(e.ms * 10) / 10, calls: e.calls })) }));
