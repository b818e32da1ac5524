// What the training loop reports per step and per checkpoint. Throughput and data wait come twice:
// counters for PromQL rates over any window, and gauges with the worker's own sliding-window values
// (the figures a job's progress shows).
import { Counter, Gauge, Histogram } from 'prom-client';
import { processRegistry } from './registry.ts';

const registers = [processRegistry];
const steps = new Counter({ name: 'simsiam_training_steps_total', help: 'Training steps run', registers });
const images = new Counter({ name: 'simsiam_training_images_total', help: 'Images trained on (each through both views)', registers });
const stepSeconds = new Histogram({
  name: 'simsiam_training_step_seconds',
  help: 'Compute time of one training step (forward, backward, update), data wait excluded',
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers,
});
const waitSeconds = new Counter({ name: 'simsiam_training_data_wait_seconds_total', help: 'Time training steps waited for their batch', registers });
const imagesPerSecond = new Gauge({ name: 'simsiam_training_images_per_second', help: 'Training throughput over the recent steps of this worker, waits included', registers });
const dataWaitFraction = new Gauge({ name: 'simsiam_training_data_wait_fraction', help: 'Share of recent training wall time spent waiting for data', registers });
const lastStep = new Gauge({ name: 'simsiam_training_last_step_timestamp_seconds', help: 'Unix time of the last training step of this process', registers });
const checkpointWrite = new Histogram({
  name: 'simsiam_checkpoint_write_seconds',
  help: 'Time to store one checkpoint (S3 object and database row)',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  registers,
});

export const trainingMetrics = {
  step(sample: { images: number; stepMs: number; waitMs: number }, window: { imagesPerSecond: number; dataWaitFraction: number }) {
    steps.inc();
    images.inc(sample.images);
    stepSeconds.observe(sample.stepMs / 1000);
    waitSeconds.inc(sample.waitMs / 1000);
    imagesPerSecond.set(window.imagesPerSecond);
    dataWaitFraction.set(window.dataWaitFraction);
    lastStep.setToCurrentTime();
  },
  /** starts timing a checkpoint write; call the result when it is stored */
  checkpointTimer: () => checkpointWrite.startTimer(),
};
