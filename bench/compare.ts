// Runs bench/train.ts and the PyTorch reference on the same model, batch and head sizes, one after
// the other, and prints one JSON line with both results and the tfjs/pytorch throughput ratios.
//   node --import tsx bench/compare.ts --image-size 28 --channels 1 --batch-size 128 --steps 20 [--backend wasm]
// Needs Debian's python3-torch (/usr/bin/python3; override with PYTHON=...). resnet-tiny only.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const lastJsonLine = (output: string) => JSON.parse(output.trim().split('\n').pop() ?? '{}') as Record<string, number | string>;

const args = process.argv.slice(2);
if (args.includes('--backbone') && args[args.indexOf('--backbone') + 1] !== 'resnet-tiny') throw new Error('the PyTorch reference implements resnet-tiny only');

const tfjs = lastJsonLine(execFileSync(process.execPath, ['--import', 'tsx', here('./train.ts'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
const shared = ['image-size', 'channels', 'batch-size', 'steps'].flatMap((name) => (args.includes(`--${name}`) ? [`--${name}`, args[args.indexOf(`--${name}`) + 1]] : []));
const heads = ['--projector-dim', String(tfjs.projectorDim), '--predictor-hidden-dim', String(tfjs.predictorHiddenDim), '--projector-layers', String(tfjs.projectorLayers)];
const pytorch = lastJsonLine(execFileSync(process.env.PYTHON ?? '/usr/bin/python3', [here('./reference/simsiam_step.py'), ...shared, ...heads], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));

const ratio = (key: string) => Math.round((Number(tfjs[key]) / Number(pytorch[key])) * 1000) / 1000;
console.log(JSON.stringify({ tfjs, pytorch, ratio: ratio('imagesPerSecond'), cpuTimeRatio: ratio('imagesPerCpuSecond') }));
