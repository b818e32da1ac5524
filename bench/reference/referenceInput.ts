// What the PyTorch references (check_step.py, method_step.py) are handed to build and step the very
// networks a Trainer holds: its checkpoint (config, every parameter and target network, optimizer and
// host state, step) plus the backbone spec (a ViT's patch size, positions and pooling included), the
// learning rates, which parameters train and which are frozen at this step, and the views the method
// draws. One bundle (bench/reference/bundle.py reads it).
import { BACKBONE_SPECS, type NamedArray, type Trainer, decodeCheckpoint, encodeCheckpoint, initialLr } from '../../src/engine/index.ts';
import { isVit } from '../../src/engine/backbones/names.ts';
import { vitOptionsOf } from '../../src/engine/backbones/vitOptions.ts';

export function referenceInput(trainer: Trainer, extra: { meta?: Record<string, unknown>; tensors?: NamedArray[] } = {}): Uint8Array {
  const { meta, tensors } = decodeCheckpoint<Record<string, unknown>>(trainer.serialize());
  const { config, method } = trainer;
  return encodeCheckpoint({
    meta: {
      ...meta,
      spec: { ...BACKBONE_SPECS[config.backbone], ...(isVit(config.backbone) ? vitOptionsOf(config) : {}) },
      lr: trainer.lr,
      fixedLr: initialLr(config),
      trainable: method.store.list().filter((p) => p.trainable).map((p) => p.name),
      frozen: method.frozenAt?.(trainer.completedSteps, trainer.stepsPerEpoch) ?? [],
      views: method.views,
      ...extra.meta,
    },
    tensors: [...tensors, ...(extra.tensors ?? [])],
  });
}
