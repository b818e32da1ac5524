// The jobs the fault scripts train: resnet-tiny on 8 px greyscale, small enough that a scenario
// takes minutes. FAULT_JOB checkpoints every epoch and every 15 s, the pair that once wrote two
// checkpoints at one step.
const TINY_NET = { backbone: 'resnet-tiny', imageSize: 8, channels: 1, batchSize: 8, projectorDim: 64, knnEveryEpochs: 0, seed: 7 };

export const FAULT_JOB = {
  // two steps an epoch: a checkpoint every two steps
  classes: 2,
  perClass: 8,
  config: { ...TINY_NET, epochs: 12, checkpointEveryEpochs: 1, checkpointEveryMinutes: 0.25, keepCheckpoints: 2 },
};

/** Two steps: for scenarios that count jobs, not steps. */
export const TINY_JOB = { ...FAULT_JOB, config: { ...TINY_NET, epochs: 1 } };
