// A backbone on its own engine thread for frozen-feature inference: restored from a checkpoint, or
// freshly initialised from the training config (the random-init baseline: same architecture, same
// seed, no training). Pixels are decoded exactly as for training (src/data/decode.ts, 1.15x side);
// the engine takes its centre view.
import type { BlobStore } from '../storage/s3.ts';
import type { BackendName } from '../engine/index.ts';
import type { TrainingConfig } from '../domain/trainingConfig.ts';
import { decodeSpecOf, type DecodeSpec } from '../data/decode.ts';
import { EngineClient } from '../engine/thread/client.ts';
import type { Matrix } from '../probe/linearProbe.ts';

export interface FrozenModel {
  config: TrainingConfig;
  featureDim: number;
  /** how images must be decoded for `features` */
  spec: DecodeSpec;
  /** [count, featureDim] row-major; `pixels` (count decoded images) is handed over, not copied */
  features(pixels: Uint8Array, count: number): Promise<Float32Array>;
  /** weighted kNN top-1 (k=200, cosine, temperature 0.1) of `queries` against `bank`, on the engine thread */
  knnTop1(bank: Matrix, bankLabels: Int32Array, queries: Matrix, queryLabels: Int32Array, numClasses: number): Promise<number>;
  close(): Promise<void>;
}

export async function openFrozenModel(
  blobs: BlobStore,
  opts: { config: TrainingConfig; checkpointKey?: string; backend?: BackendName },
): Promise<FrozenModel> {
  const checkpoint = opts.checkpointKey ? await blobs.get(opts.checkpointKey) : undefined;
  const engine = new EngineClient();
  try {
    // stepsPerEpoch only shapes the LR schedule, which inference never reads
    const init = await engine.call('init', { backend: opts.backend, config: opts.config, stepsPerEpoch: 1, checkpoint });
    const spec = decodeSpecOf(opts.config);
    return {
      config: opts.config,
      featureDim: init.featureDim,
      spec,
      features: (pixels, count) =>
        engine.call('features', { pixels: { data: pixels, shape: [count, spec.size, spec.size, spec.channels] } }, [pixels.buffer as ArrayBuffer]),
      knnTop1: (bank, bankLabels, queries, queryLabels, numClasses) =>
        engine.call('knnAccuracy', { bank: bank.data, bankLabels, queries: queries.data, queryLabels, dim: bank.dim, numClasses }),
      close: () => engine.close(),
    };
  } catch (err) {
    await engine.close();
    throw err;
  }
}
