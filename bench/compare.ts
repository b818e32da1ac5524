// Runs bench/train.ts and the PyTorch reference (bench/reference/method_step.py) on the same method,
// model, batch and thread count (the tfjs side's: OMP_NUM_THREADS for the native kernel pack, 1 for
// wasm alone), one after the other, and prints one JSON line with the method, both results, the
// tfjs/pytorch throughput ratios, both peak RSS figures and both sides' GFLOP/s against PyTorch's
// convolution peak. The PyTorch side is configured from the
// tfjs side: train.ts hands over its trainer's state (config, every network and target network,
// queue, prototypes, memory bank; the backbone spec, lr and views), so both run the same heads and
// settings (printed as the tfjs side's `settings` and `views`). For a ViT also the share of the step
// in attention on each side (the tfjs side's from one step of bench/profile-step.ts).
//   node --import tsx bench/compare.ts [--method simsiam|simclr|moco-v2|byol|swav|moco-v3] [--backbone resnet-tiny|resnet-small] --image-size 28 --channels 1 --batch-size 128 --steps 20 [--backend wasm]
//   node --import tsx bench/compare.ts --method byol --backbone vit-micro --image-size 32 --channels 3 --batch-size 128 --steps 10
//   ... [--config '{"queueSize":16384}'] (any other job config fields, as bench/train.ts takes them)
//   ... --backend tensorflow --reference-device cuda   on a GPU host (bench/gpu)
// Needs Debian's python3-torch (/usr/bin/python3; override with PYTHON=...). The reference builds
// the engine's ResNets (bench/reference/nets.py) and ViTs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BackboneName, isVit } from '../src/engine/backbones/names.ts';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const lastJsonLine = (output: string) => JSON.parse(output.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;

const args = process.argv.slice(2);
// the PyTorch side's device; the rest of the arguments are bench/train.ts's
const deviceAt = args.indexOf('--reference-device');
const referenceDevice = deviceAt >= 0 ? args.splice(deviceAt, 2)[1] : 'cpu';
const pick = (names: string[]) => names.flatMap((name) => (args.includes(`--${name}`) ? [`--${name}`, args[args.indexOf(`--${name}`) + 1]] : []));
const runTs = (script: string, scriptArgs: string[]) =>
  lastJsonLine(execFileSync(process.execPath, ['--import', 'tsx', here(script), ...scriptArgs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));

const dir = mkdtempSync(path.join(os.tmpdir(), 'compare-'));
const state = path.join(dir, 'state.bin');
let tfjs: Record<string, unknown>;
let pytorch: Record<string, unknown>;
try {
  tfjs = runTs('./train.ts', [...args, '--reference-state', state]);
  pytorch = lastJsonLine(execFileSync(process.env.PYTHON ?? '/usr/bin/python3', [here('./reference/method_step.py'), '--state', state, ...pick(['steps', 'warmup']), '--threads', String(tfjs.threads), '--device', referenceDevice], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    // Debian's torch calls OpenBLAS, which starts its own threads on top of torch's unless told not
    // to: oversubscribed, PyTorch measured up to 2x slower. One BLAS thread is PyTorch at its best.
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
  }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Debian's reference BLAS makes PyTorch several times slower than it is: a ratio against it flatters us
const blas = (pytorch.blas as string[] | undefined) ?? [];
if (referenceDevice === 'cpu' && !blas.some((lib) => lib.includes('openblas'))) {
  console.error(`compare: PyTorch runs on ${blas.join(', ') || 'an unknown BLAS'}, not OpenBLAS: apt-get install libopenblas0-pthread`);
}
const vit = isVit(tfjs.backbone as BackboneName);
// the attention share comes from CPU profiles (of both sides)
const profiled = vit && referenceDevice === 'cpu' ? runTs('./profile-step.ts', [...pick(['method', 'backbone', 'image-size', 'channels', 'batch-size', 'kernels', 'config']), '--top', '10']) : undefined;

// one step's FLOPs (counted on the PyTorch side) over each side's step time, against PyTorch's best
// rate on one large convolution in the same run
const gflop = Number(pytorch.stepGflop);
const tfjsGflops = Math.round((gflop / (Number(tfjs.medianStepMs) / 1000)) * 10) / 10;
const ratio = (key: string) => Math.round((Number(tfjs[key]) / Number(pytorch[key])) * 1000) / 1000;
console.log(JSON.stringify({
  method: tfjs.method,
  backbone: tfjs.backbone,
  tfjs,
  pytorch,
  ratio: ratio('imagesPerSecond'),
  cpuTimeRatio: ratio('imagesPerCpuSecond'),
  peakRssMB: { tfjs: tfjs.peakRssMB, pytorch: pytorch.peakRssMB },
  gflopsPerSecond: { stepGflop: gflop, tfjs: tfjsGflops, pytorch: pytorch.gflopsPerSecond, pytorchConvPeak: pytorch.convPeakGflops, tfjsShareOfPeak: Math.round((tfjsGflops / Number(pytorch.convPeakGflops)) * 1000) / 1000 },
  ...(profiled && { attentionShare: { tfjs: profiled.attentionShare, pytorch: pytorch.attentionShare }, tfjsTopKernels: profiled.kernelsByTime }),
}));
