// Runs bench/train.ts and the PyTorch reference on the same model, batch, head sizes and thread
// count (the tfjs side's: OMP_NUM_THREADS for the native kernel pack, 1 for wasm alone), one after
// the other, and prints one JSON line with both results and the tfjs/pytorch throughput ratios.
//   node --import tsx bench/compare.ts [--backbone resnet-tiny] --image-size 28 --channels 1 --batch-size 128 --steps 20 [--backend wasm]
// Needs Debian's python3-torch (/usr/bin/python3; override with PYTHON=...). The reference builds
// CIFAR-stem, basic-block backbones only (resnet-tiny, resnet-small, resnet18-cifar...).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BackboneName } from '../src/domain/trainingConfig.ts';
import { BACKBONE_SPECS } from '../src/engine/backbones/specs.ts';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const lastJsonLine = (output: string) => JSON.parse(output.trim().split('\n').pop() ?? '{}') as Record<string, number | string>;

const args = process.argv.slice(2);
const backbone = (args.includes('--backbone') ? args[args.indexOf('--backbone') + 1] : 'resnet-tiny') as BackboneName;
if (!BACKBONE_SPECS[backbone]) throw new Error(`unknown backbone ${backbone}`);

const tfjs = lastJsonLine(execFileSync(process.execPath, ['--import', 'tsx', here('./train.ts'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
const shared = ['image-size', 'channels', 'batch-size', 'steps'].flatMap((name) => (args.includes(`--${name}`) ? [`--${name}`, args[args.indexOf(`--${name}`) + 1]] : []));
const heads = ['--projector-dim', String(tfjs.projectorDim), '--predictor-hidden-dim', String(tfjs.predictorHiddenDim), '--projector-layers', String(tfjs.projectorLayers)];
const threads = ['--threads', String(tfjs.threads)];
const model = ['--backbone', backbone, '--spec', JSON.stringify(BACKBONE_SPECS[backbone])];
const pytorch = lastJsonLine(execFileSync(process.env.PYTHON ?? '/usr/bin/python3', [here('./reference/simsiam_step.py'), ...model, ...shared, ...heads, ...threads], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
  // Debian's torch calls OpenBLAS, which starts its own threads on top of torch's unless told not
  // to: oversubscribed, PyTorch measured up to 2x slower. One BLAS thread is PyTorch at its best.
  env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
}));

const ratio = (key: string) => Math.round((Number(tfjs[key]) / Number(pytorch[key])) * 1000) / 1000;
console.log(JSON.stringify({ tfjs, pytorch, ratio: ratio('imagesPerSecond'), cpuTimeRatio: ratio('imagesPerCpuSecond') }));
