// Runs bench/train.ts and the PyTorch reference on the same model, batch, head sizes and thread
// count (the tfjs side's: OMP_NUM_THREADS for the native kernel pack, 1 for wasm alone), one after
// the other, and prints one JSON line with both results, the tfjs/pytorch throughput ratios and both
// peak RSS figures. For a ViT also the share of the step in attention on each side (the tfjs side's
// from one step of bench/profile-step.ts).
//   node --import tsx bench/compare.ts [--backbone resnet-tiny] --image-size 28 --channels 1 --batch-size 128 --steps 20 [--backend wasm]
//   node --import tsx bench/compare.ts --backbone vit-micro --image-size 32 --channels 3 --batch-size 128 --steps 10
// Needs Debian's python3-torch (/usr/bin/python3; override with PYTHON=...). The reference builds
// CIFAR-stem, basic-block ResNets (resnet-tiny, resnet-small, resnet18-cifar...) and the ViTs.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BackboneName } from '../src/domain/trainingConfig.ts';
import { BACKBONE_SPECS } from '../src/engine/backbones/specs.ts';
import { vitOptionsOf } from '../src/engine/backbones/vitOptions.ts';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const lastJsonLine = (output: string) => JSON.parse(output.trim().split('\n').pop() ?? '{}') as Record<string, number | string>;

const args = process.argv.slice(2);
const backbone = (args.includes('--backbone') ? args[args.indexOf('--backbone') + 1] : 'resnet-tiny') as BackboneName;
if (!BACKBONE_SPECS[backbone]) throw new Error(`unknown backbone ${backbone}`);

const runTs = (script: string, scriptArgs: string[]) =>
  lastJsonLine(execFileSync(process.execPath, ['--import', 'tsx', here(script), ...scriptArgs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
const tfjs = runTs('./train.ts', args);
const spec = BACKBONE_SPECS[backbone];
const vit = spec.family === 'vit';
const pick = (names: string[]) => names.flatMap((name) => (args.includes(`--${name}`) ? [`--${name}`, args[args.indexOf(`--${name}`) + 1]] : []));
const shared = pick(['image-size', 'channels', 'batch-size', 'steps']);
const heads = ['--projector-dim', String(tfjs.projectorDim), '--predictor-hidden-dim', String(tfjs.predictorHiddenDim), '--projector-layers', String(tfjs.projectorLayers)];
const threads = ['--threads', String(tfjs.threads)];
// a ViT's spec carries the job's patch size, position embedding and pooling (the defaults for its image size)
const modelSpec = vit ? { ...spec, ...vitOptionsOf({ backbone, imageSize: Number(tfjs.imageSize) }) } : spec;
const model = ['--backbone', backbone, '--spec', JSON.stringify(modelSpec)];
const pytorch = lastJsonLine(execFileSync(process.env.PYTHON ?? '/usr/bin/python3', [here('./reference/simsiam_step.py'), ...model, ...shared, ...heads, ...threads], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
  // Debian's torch calls OpenBLAS, which starts its own threads on top of torch's unless told not
  // to: oversubscribed, PyTorch measured up to 2x slower. One BLAS thread is PyTorch at its best.
  env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
}));

const profiled = vit ? runTs('./profile-step.ts', [...pick(['backbone', 'image-size', 'channels', 'batch-size', 'kernels']), '--top', '10']) : undefined;

const ratio = (key: string) => Math.round((Number(tfjs[key]) / Number(pytorch[key])) * 1000) / 1000;
console.log(JSON.stringify({
  tfjs,
  pytorch,
  ratio: ratio('imagesPerSecond'),
  cpuTimeRatio: ratio('imagesPerCpuSecond'),
  peakRssMB: { tfjs: tfjs.peakRssMB, pytorch: pytorch.peakRssMB },
  ...(profiled && { attentionShare: { tfjs: profiled.attentionShare, pytorch: pytorch.attentionShare }, tfjsTopKernels: profiled.kernelsByTime }),
}));
