// Throughput, data-wait share and ETA over a sliding window of recent steps, and the collapse flag.

interface StepSample {
  images: number;
  stepMs: number;
  waitMs: number;
}

export class ThroughputMeter {
  private readonly window: StepSample[] = [];

  constructor(private readonly size = 50) {}

  record(sample: StepSample) {
    this.window.push(sample);
    if (this.window.length > this.size) this.window.shift();
  }

  /** images (both views through forward + backward) per second of wall time, waits included */
  get imagesPerSecond(): number {
    const ms = this.window.reduce((s, x) => s + x.stepMs + x.waitMs, 0);
    return ms ? (this.window.reduce((s, x) => s + x.images, 0) * 1000) / ms : 0;
  }

  /** share of wall time the training step spent waiting for its batch */
  get dataWaitFraction(): number {
    const total = this.window.reduce((s, x) => s + x.stepMs + x.waitMs, 0);
    return total ? this.window.reduce((s, x) => s + x.waitMs, 0) / total : 0;
  }

  etaSeconds(stepsLeft: number): number | null {
    if (!this.window.length) return null;
    const perStep = this.window.reduce((s, x) => s + x.stepMs + x.waitMs, 0) / this.window.length;
    return Math.round((perStep * stepsLeft) / 1000);
  }
}

/**
 * Flags a run as collapsed when the std of its l2-normalised outputs stays below
 * `threshold / sqrt(d)` for `patience` consecutive epochs (healthy runs sit near 1/sqrt(d)).
 * Both z and p are watched: the BN at the projector's end keeps z's std up for a while after p has
 * already collapsed.
 */
export class CollapseDetector {
  private lowEpochs = 0;

  constructor(
    private readonly threshold: number,
    private readonly patience: number,
    private readonly dim: number,
  ) {}

  get healthyStd() {
    return 1 / Math.sqrt(this.dim);
  }

  /** Records one epoch's mean std of z and p; returns whether the run counts as collapsed. */
  endEpoch(zStd: number, pStd: number): boolean {
    const low = Math.min(zStd, pStd) < this.threshold * this.healthyStd;
    this.lowEpochs = low ? this.lowEpochs + 1 : 0;
    return this.collapsed;
  }

  get collapsed() {
    return this.lowEpochs >= this.patience;
  }

  /** consecutive low epochs so far, kept in the job's progress so a resumed run continues the count */
  get lowEpochCount() {
    return this.lowEpochs;
  }

  restore(lowEpochs: number) {
    this.lowEpochs = lowEpochs;
  }
}
