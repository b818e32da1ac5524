// Messages between a worker's I/O thread and its engine thread. The engine thread owns every tensor;
// the I/O thread (queue heartbeats, S3, PostgreSQL, the API in the embedded default) never blocks on
// a training step.
import type { BackendInfo, BackendName, NamedArray, StepResult } from '../index.ts';
import type { EngineConfig } from '../config.ts';
import type { LayersModelBundle } from '../layersExport.ts';

export interface Pixels {
  data: Uint8Array;
  shape: [number, number, number, number];
}

export interface EngineOps {
  /** selects the backend and builds a trainer, fresh or restored from checkpoint bytes (refused when
   * they were written under another config) */
  init(args: { backend?: BackendName; config: EngineConfig; stepsPerEpoch: number; datasetSize?: number; checkpoint?: Uint8Array }): {
    info: BackendInfo;
    completedSteps: number;
    featureDim: number;
    /** dimension of what the collapse monitor watches (healthy std ~ 1/sqrt of it) */
    monitorDim: number;
  };
  step(args: { pixels: Pixels; indices?: Int32Array }): StepResult & { numTensors: number };
  /** sets the run's length before its schedule depends on it (Trainer.replan) */
  replan(args: { epochs: number }): void;
  serialize(args: Record<string, never>): Uint8Array;
  features(args: { pixels: Pixels }): Float32Array;
  knnAccuracy(args: { bank: Float32Array; bankLabels: Int32Array; queries: Float32Array; queryLabels: Int32Array; dim: number; numClasses: number }): number;
  exportBackbone(args: Record<string, never>): NamedArray[];
  /** the backbone as a tfjs-layers model (model.json + weights.bin) */
  exportLayersModel(args: Record<string, never>): Promise<LayersModelBundle>;
  dispose(args: Record<string, never>): void;
}

export type OpName = keyof EngineOps;

export interface Request<K extends OpName = OpName> {
  id: number;
  op: K;
  args: Parameters<EngineOps[K]>[0];
}

/** `code`: ENGINE_OUT_OF_MEMORY when the op ran out of memory (outOfMemory.ts) */
export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { message: string; stack?: string; code?: string } };
