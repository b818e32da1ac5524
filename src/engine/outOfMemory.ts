// Running out of memory, told apart from other failures: a step that did not fit fails the same way
// every time it is retried. tfjs's wasm backend mallocs each tensor's buffer from JavaScript and
// does not check the answer; when the 32-bit heap (at most 4 GiB) cannot grow, malloc answers 0 and
// the tensor would be written over the heap's first bytes. A size of 4 GiB or more is worse: it
// reaches malloc modulo 2^32, and a smaller buffer comes back. guardWasmHeap turns both into an
// EngineOutOfMemoryError before anything is allocated or written. tfjs-free: the worker's I/O thread classifies
// the engine thread's errors with it.

export const ENGINE_OUT_OF_MEMORY = 'ENGINE_OUT_OF_MEMORY';

export class EngineOutOfMemoryError extends RangeError {
  override readonly name = 'EngineOutOfMemoryError';
  readonly code = ENGINE_OUT_OF_MEMORY;
}

const MiB = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;

/** What is used here of the wasm backend's emscripten module. */
interface WasmMalloc {
  _malloc(size: number): number;
  _free(pointer: number): void;
}

/** Makes a failed malloc of the wasm backend's module throw instead of answering 0. */
export function guardWasmHeap(wasm: WasmMalloc, heapBytes: () => number): void {
  // emscripten's first call of each replaces it with the raw export: made before wrapping it
  wasm._free(wasm._malloc(4));
  const malloc = wasm._malloc.bind(wasm);
  const refuse = (size: number) => new EngineOutOfMemoryError(`out of memory: the wasm heap (${MiB(heapBytes())}, at most 4 GiB) cannot hold a tensor of ${MiB(size)} more`);
  wasm._malloc = (size: number) => {
    if (size > 0xffffffff) throw refuse(size);
    const pointer = malloc(size);
    if (pointer === 0 && size > 0) throw refuse(size);
    return pointer;
  };
}

// what V8, emscripten, the native pack and Node say when memory runs out
const OUT_OF_MEMORY_MESSAGES = [
  /out of memory/i,
  /\bOOM\b/, // emscripten's abort("OOM")
  /Cannot enlarge memory/,
  /Array buffer allocation failed/,
  /WebAssembly\.Memory(\.grow)?\(\): Maximum memory size exceeded/,
  /std::bad_alloc/,
];

/** Whether `err` (from the engine, or its thread's reply or exit) is running out of memory. */
export function isOutOfMemory(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (code === ENGINE_OUT_OF_MEMORY || code === 'ERR_WORKER_OUT_OF_MEMORY') return true;
  return OUT_OF_MEMORY_MESSAGES.some((pattern) => pattern.test(err.message));
}

/** What a job that ran out of memory should change, for its failure message. */
export function outOfMemoryAdvice(config: { backbone: string; batchSize: number; imageSize: number; checkpointBlocks?: boolean }): string {
  const lower = `lower batchSize (${config.batchSize}) or imageSize (${config.imageSize})`;
  return config.checkpointBlocks === false
    ? `${lower}, or set checkpointBlocks: true (the ${config.backbone}'s blocks recompute their activations in the backward pass instead of holding them)`
    : lower;
}
