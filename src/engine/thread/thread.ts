// Body of the engine thread: a Trainer behind a message port.
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { Trainer, initBackend, knnAccuracy } from '../index.ts';
import { exportLayersModel } from '../layersExport.ts';
import type { EngineOps, OpName, Reply, Request } from './protocol.ts';
import { ENGINE_OUT_OF_MEMORY, isOutOfMemory } from '../outOfMemory.ts';

let trainer: Trainer | undefined;

const need = (): Trainer => {
  if (!trainer) throw new Error('engine not initialised');
  return trainer;
};

const ops: EngineOps = {
  init({ config, stepsPerEpoch, datasetSize, checkpoint }) {
    trainer?.dispose();
    trainer = checkpoint ? Trainer.restore(checkpoint, config) : new Trainer(config, stepsPerEpoch, datasetSize);
    return { info: currentInfo!, completedSteps: trainer.completedSteps, featureDim: trainer.featureDim, monitorDim: trainer.method.monitorDim };
  },
  step({ pixels, indices }) {
    return { ...need().step(pixels, indices), numTensors: tf.memory().numTensors };
  },
  replan: ({ epochs }) => need().replan(epochs),
  serialize: () => need().serialize(),
  features: ({ pixels }) => need().features(pixels),
  knnAccuracy({ bank, bankLabels, queries, queryLabels, dim, numClasses }) {
    return tf.tidy(() =>
      knnAccuracy(
        tf.tensor2d(bank, [bankLabels.length, dim]),
        bankLabels,
        tf.tensor2d(queries, [queryLabels.length, dim]),
        queryLabels,
        numClasses,
      ),
    );
  },
  exportBackbone: () => need().exportBackbone(),
  exportLayersModel() {
    const t = need();
    return exportLayersModel(t.config, t.exportBackbone());
  },
  dispose() {
    trainer?.dispose();
    trainer = undefined;
  },
};

let currentInfo: Awaited<ReturnType<typeof initBackend>> | undefined;

parentPort!.on('message', async (req: Request) => {
  let reply: Reply;
  const transfer: ArrayBuffer[] = [];
  try {
    if (req.op === 'init' && !currentInfo) currentInfo = await initBackend((req as Request<'init'>).args.backend);
    const value = await (ops[req.op as OpName] as (a: unknown) => unknown)(req.args);
    if (ArrayBuffer.isView(value)) transfer.push(value.buffer as ArrayBuffer);
    reply = { id: req.id, ok: true, value };
  } catch (err) {
    const e = err as Error;
    reply = { id: req.id, ok: false, error: { message: e.message, stack: e.stack, ...(isOutOfMemory(e) ? { code: ENGINE_OUT_OF_MEMORY } : {}) } };
  }
  parentPort!.postMessage(reply, transfer);
});
