// Backend choice at start-up. Preference: tfjs-node-gpu > tfjs-node (both register 'tensorflow';
// optional, not installed everywhere) > wasm with our training kernels (stock wasm lacks
// Conv2DBackpropFilter) > the pure-JS cpu backend. SIMSIAM_BACKEND overrides the caller's choice.
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import type { WasmKernelSet } from './kernels/index.ts';
import { registerCpuConv2DBackpropFilter } from './kernels/cpuConv2DBackpropFilter.ts';
// loads no tfjs backend: only the addon, and only when asked
import { loadNativeKernels } from './kernels/native/index.ts';
import { guardWasmHeap } from './outOfMemory.ts';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
const NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  backend: BackendName;
  /** threads of the kernels doing most of the work (the native pack's on wasm when it is built) */
  threads: number;
  /** on wasm: our wasm kernels alone, or the native kernel pack (oneDNN) on top of them */
  kernels?: WasmKernelSet;
}

/** Import a module that may be absent; a variable specifier keeps TypeScript from resolving it. */
async function tryImport(specifier: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

async function tryTensorflow(): Promise<boolean> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    if ((await tryImport(pkg)) && (await tf.setBackend('tensorflow'))) return true;
  }
  return false;
}

let wasmKernels: WasmKernelSet | undefined;

/**
 * Registers the wasm backend plus the training kernels (./kernels). Imported here, not at the top:
 * importing tfjs-backend-wasm registers a backend that outranks cpu for every tfjs user.
 */
async function tryWasm(): Promise<boolean> {
  if (!(await tryImport('@tensorflow/tfjs-backend-wasm'))) return false;
  const { registerWasmTrainingKernels } = await import('./kernels/index.ts');
  wasmKernels = registerWasmTrainingKernels();
  if (!(await tf.setBackend('wasm'))) return false;
  const { wasm } = tf.backend() as unknown as { wasm: Parameters<typeof guardWasmHeap>[0] & { HEAPU8: Uint8Array } };
  if (!guarded.has(wasm)) {
    guardWasmHeap(wasm, () => wasm.HEAPU8.length);
    guarded.add(wasm);
  }
  return true;
}

/** emscripten modules whose malloc is guarded (initBackend may run more than once) */
const guarded = new WeakSet<object>();

/** The pure-JS backend, with its filter gradient replaced by ours (same bits, several times faster). */
function tryCpu(): Promise<boolean> {
  registerCpuConv2DBackpropFilter();
  return tf.setBackend('cpu');
}

/** Whether the active backend can train conv nets (wasm only with the extra kernels). */
export function canTrainConvolutions(): boolean {
  return tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) !== undefined;
}

function threadsOf(backend: BackendName): number {
  if (backend === 'tensorflow') return os.availableParallelism();
  if (backend === 'wasm') {
    const native = wasmKernels === 'native' ? loadNativeKernels() : undefined;
    if (native) return native.threads();
    const wasm = tf.backend() as unknown as { getThreadsCount?: () => number };
    return wasm.getThreadsCount?.() ?? 1;
  }
  return 1;
}

/**
 * Selects and initialises a backend. `preferred` (e.g. from a worker's config) is used when
 * SIMSIAM_BACKEND is not set; with neither, the fastest one that can train convolutions wins.
 * An explicitly requested backend that cannot load is an error rather than a silent fallback.
 */
export async function initBackend(preferred?: BackendName): Promise<BackendInfo> {
  const env = process.env.SIMSIAM_BACKEND;
  if (env && !NAMES.includes(env as BackendName)) throw new Error(`SIMSIAM_BACKEND must be one of ${NAMES.join('|')}, got ${env}`);
  const requested = (env as BackendName | undefined) ?? preferred;
  const loaders: Record<BackendName, () => Promise<boolean>> = { tensorflow: tryTensorflow, wasm: tryWasm, cpu: tryCpu };
  if (requested) {
    if (!(await loaders[requested]())) throw new Error(`backend ${requested} is not available`);
  } else {
    let chosen = false;
    for (const name of NAMES) {
      chosen = (await loaders[name]()) && canTrainConvolutions();
      if (chosen) break;
    }
    if (!chosen) throw new Error('no tfjs backend could be initialised');
  }
  await tf.ready();
  const backend = tf.getBackend() as BackendName;
  return { backend, threads: threadsOf(backend), ...(backend === 'wasm' ? { kernels: wasmKernels } : {}) };
}
