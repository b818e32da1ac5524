// The GPU path, measured with one command on a GPU host (bench/gpu/run.sh builds the gpu-bench image
// and runs this in it): checks that a GPU is visible, that tfjs trains on its `tensorflow` backend
// from @tensorflow/tfjs-node-gpu and that TensorFlow placed work on the GPU, then runs
// bench/compare.ts per model against the PyTorch reference on CUDA. Prints one JSON line per model,
// then a summary line; exits non-zero when a check fails.
//   node --import tsx bench/gpu/compare.ts [--models resnet-tiny,resnet18-cifar,resnet50] [--method simsiam] [--steps 20]
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// image size, channels and batch per model: the small-image models at their datasets' sizes, the
// ImageNet-stem ones at 224 px
const MODELS: Record<string, { imageSize: number; channels: number; batchSize: number }> = {
  'resnet-tiny': { imageSize: 28, channels: 1, batchSize: 128 },
  'resnet-small': { imageSize: 28, channels: 1, batchSize: 128 },
  'resnet18-cifar': { imageSize: 32, channels: 3, batchSize: 256 },
  resnet18: { imageSize: 224, channels: 3, batchSize: 64 },
  resnet50: { imageSize: 224, channels: 3, batchSize: 64 },
  'vit-small': { imageSize: 224, channels: 3, batchSize: 64 },
};

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'resnet-tiny,resnet18-cifar,resnet50' },
    method: { type: 'string', default: 'simsiam' },
    steps: { type: 'string', default: '20' },
  },
});

function fail(message: string): never {
  console.error(`bench/gpu: ${message}`);
  process.exit(2);
}

const gpus = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' });
if (gpus.status !== 0 || !/GPU \d/.test(gpus.stdout)) fail('no GPU visible (nvidia-smi -L); run the container with --gpus all');
try {
  createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
} catch {
  fail('@tensorflow/tfjs-node-gpu is not installed: run this in the gpu-bench image (bench/gpu/run.sh)');
}
// TensorFlow logs each device it creates; a CUDA or cuDNN mismatch shows here as a CPU-only start
const probe = spawnSync(process.execPath, ['-e', "const tf = require('@tensorflow/tfjs-node-gpu'); tf.matMul(tf.ones([256, 256]), tf.ones([256, 256])).dataSync(); console.log(tf.getBackend())"], {
  encoding: 'utf8',
  env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '0' },
});
if (probe.stdout.trim() !== 'tensorflow') fail(`tfjs-node-gpu did not load:\n${probe.stderr}`);
if (!/device:GPU:\d/.test(probe.stderr)) fail(`TensorFlow created no GPU device (CUDA 11.2 and cuDNN 8.1 are what libtensorflow 2.9 needs):\n${probe.stderr}`);

const compare = fileURLToPath(new URL('../compare.ts', import.meta.url));
const rows = [];
for (const model of values.models.split(',')) {
  const shape = MODELS[model] ?? fail(`unknown model ${model}; one of ${Object.keys(MODELS).join(', ')}`);
  const args = ['--method', values.method, '--backbone', model, '--image-size', String(shape.imageSize), '--channels', String(shape.channels), '--batch-size', String(shape.batchSize), '--steps', values.steps, '--backend', 'tensorflow', '--reference-device', 'cuda'];
  const output = execFileSync(process.execPath, ['--import', 'tsx', compare, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SIMSIAM_BACKEND: 'tensorflow' } });
  const row = JSON.parse(output.trim().split('\n').pop()!) as { tfjs: { backend: string; imagesPerSecond: number }; pytorch: { device?: string; imagesPerSecond: number }; ratio: number };
  if (row.tfjs.backend !== 'tensorflow') fail(`${model}: tfjs trained on ${row.tfjs.backend}, not tensorflow`);
  if (!row.pytorch.device) fail(`${model}: the PyTorch reference did not run on CUDA`);
  console.log(JSON.stringify(row));
  rows.push({ model, ...shape, tfjsImagesPerSecond: row.tfjs.imagesPerSecond, pytorchImagesPerSecond: row.pytorch.imagesPerSecond, ratio: row.ratio, device: row.pytorch.device });
}
console.log(JSON.stringify({ method: values.method, gpu: gpus.stdout.trim().split('\n')[0], rows }));
