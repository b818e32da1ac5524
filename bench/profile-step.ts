// Where a training step's time goes: one step of a method (default SimSiam) on a backbone (default the
// tiny ResNet, 28x28x1, batch 128, default heads) under tf.profile, kernel time summed per kernel
// name, largest first. For a ViT also the share of kernel time in attention (bench/kernelProfile.ts).
// Nested kernels (those a tf.customGrad forward runs) are counted in their own row and again in "forward".
//   node --import tsx bench/profile-step.ts [--method simclr] [--backbone vit-micro --image-size 32 --channels 3] [--batch-size 128] [--kernels native|wasm] [--top 25] [--config JSON]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { resolveTrainingConfig } from '../src/domain/trainingConfig.ts';
import { Prng, Trainer, initBackend } from '../src/engine/index.ts';
import { registerWasmTrainingKernels } from '../src/engine/kernels/index.ts';
import { BACKBONE_SPECS } from '../src/engine/backbones/specs.ts';
import { attentionShare, kernelsByTime } from './kernelProfile.ts';

const { values: args } = parseArgs({
  options: {
    method: { type: 'string', default: 'simsiam' },
    backbone: { type: 'string', default: process.env.BACKBONE ?? 'resnet-tiny' },
    'image-size': { type: 'string', default: '28' },
    channels: { type: 'string', default: '1' },
    'batch-size': { type: 'string', default: '128' },
    kernels: { type: 'string', default: 'native' },
    top: { type: 'string', default: '25' },
    // any other job config fields
    config: { type: 'string', default: '{}' },
  },
});
const [imageSize, channels, batchSize] = [Number(args['image-size']), Number(args.channels), Number(args['batch-size'])];
const resolved = resolveTrainingConfig({ ...(JSON.parse(args.config) as Record<string, unknown>), method: args.method, backbone: args.backbone, imageSize, channels, batchSize });
if ('issues' in resolved) throw new Error(JSON.stringify(resolved.issues));
const { config } = resolved;
const kernels = registerWasmTrainingKernels({ native: args.kernels === 'native' });
const { threads } = await initBackend('wasm');

const rng = new Prng(1);
const shape: [number, number, number, number] = [batchSize, imageSize, imageSize, channels];
const images = { data: Uint8Array.from({ length: batchSize * imageSize * imageSize * channels }, () => Math.floor(rng.next() * 256)), shape };
const trainer = new Trainer(config, 1000);
trainer.step(images);
trainer.step(images);
const start = performance.now();
const info = await tf.profile(() => {
  trainer.step(images);
});
const stepMs = Math.round(performance.now() - start);
trainer.dispose();

const spec = BACKBONE_SPECS[config.backbone];
const patchSize = 'patchSize' in config ? (config.patchSize as number) : undefined;
const attention = spec.family === 'vit' && patchSize ? attentionShare(info.kernels, { tokens: 1 + (imageSize / patchSize) ** 2, headDim: spec.dim / spec.heads }) : {};
console.log(JSON.stringify({ method: config.method, backbone: config.backbone, kernels, threads, stepMs, ...attention, kernelsByTime: kernelsByTime(info.kernels, Number(args.top)) }));
