// The seed's ViT "dips": training partly fails for a while and recovers. A dip is a signal leaving its
// recent trend: the loss rising above it or the collapse std falling below it by more than a number
// of the window's standard deviations (so a noisy small-batch run is not a run of dips), or kNN
// falling below its best so far. Each dip is one event, raised when the signal leaves its trend.

export type DipSignal = 'loss' | 'zStd' | 'knnTop1';

// type aliases, not interfaces: stored as JSON, they need an implicit index signature
export type DipEvent = {
  type: 'dip';
  signal: DipSignal;
  step: number;
  /** null: the loss was not finite (the run diverged) */
  value: number | null;
  trend: number;
  /** how far past the trend, in the window's standard deviations (loss, zStd) or in top-1 points
   * (kNN); null when the value was not finite */
  depth: number | null;
  /** depth over its threshold, so dips of different signals compare; null ranks above all */
  severity: number | null;
};

export interface DipSettings {
  /** steps of history the loss and std trends are the mean of */
  dipWindowSteps: number;
  /** a loss this many standard deviations above its trend, or a collapse std this many below, is a dip */
  dipSigmas: number;
  /** a kNN top-1 this far below the best so far is a dip */
  dipKnnDrop: number;
}

export type DipSummary = {
  count: number;
  worst: DipEvent | null;
};

/** Trend of one signal over a sliding window, and whether the signal is inside a dip now. */
class Trend {
  private readonly values: number[] = [];
  private sum = 0;
  private sumSquares = 0;
  inDip = false;

  constructor(private readonly size: number) {}

  get ready() {
    return this.values.length >= this.size;
  }

  get mean() {
    return this.sum / this.values.length;
  }

  /** floored at 1% of the mean's magnitude: a flat series does not make a tiny wobble a dip */
  get std() {
    const variance = Math.max(this.sumSquares / this.values.length - this.mean ** 2, 0);
    return Math.max(Math.sqrt(variance), 0.01 * Math.abs(this.mean), 1e-12);
  }

  push(value: number) {
    this.values.push(value);
    this.sum += value;
    this.sumSquares += value * value;
    if (this.values.length > this.size) {
      const old = this.values.shift()!;
      this.sum -= old;
      this.sumSquares -= old * old;
    }
  }
}

export class DipDetector {
  private readonly loss: Trend;
  private readonly zStd: Trend;
  private bestKnn = -Infinity;
  private knnInDip = false;
  private summary: DipSummary;

  constructor(
    private readonly settings: DipSettings,
    previous: DipSummary = { count: 0, worst: null },
  ) {
    this.loss = new Trend(settings.dipWindowSteps);
    this.zStd = new Trend(settings.dipWindowSteps);
    this.summary = structuredClone(previous);
  }

  get dips(): DipSummary {
    return this.summary;
  }

  /** One training step's loss and collapse std; returns the dips that start at this step. */
  observeStep(step: number, loss: number, zStd: number): DipEvent[] {
    const events: DipEvent[] = [];
    const lossEvent = this.check(this.loss, 'loss', step, loss, (loss - this.loss.mean) / this.loss.std);
    const stdEvent = this.check(this.zStd, 'zStd', step, zStd, (this.zStd.mean - zStd) / this.zStd.std);
    for (const event of [lossEvent, stdEvent]) if (event) events.push(event);
    return events;
  }

  /** A kNN measurement (once per evaluated epoch); the trend is the best score so far. */
  observeKnn(step: number, top1: number): DipEvent | undefined {
    const depth = this.bestKnn - top1;
    const dipping = Number.isFinite(depth) && depth > this.settings.dipKnnDrop;
    const event = dipping && !this.knnInDip ? this.record('knnTop1', step, top1, this.bestKnn, depth, this.settings.dipKnnDrop) : undefined;
    this.knnInDip = dipping;
    this.bestKnn = Math.max(this.bestKnn, top1);
    return event;
  }

  private check(trend: Trend, signal: DipSignal, step: number, value: number, depth: number): DipEvent | undefined {
    const threshold = this.settings.dipSigmas;
    if (!trend.ready) {
      if (Number.isFinite(value)) trend.push(value);
      return undefined;
    }
    // a non-finite value (a diverged loss) is the deepest dip there is
    const dipping = !Number.isFinite(value) || depth > threshold;
    const event = dipping && !trend.inDip ? this.record(signal, step, value, trend.mean, depth, threshold) : undefined;
    trend.inDip = dipping;
    // values inside a dip stay out of the trend, so a long dip is measured against the healthy run
    if (!dipping) trend.push(value);
    return event;
  }

  private record(signal: DipSignal, step: number, value: number, trend: number, depth: number, threshold: number): DipEvent {
    const finite = Number.isFinite(value);
    const event: DipEvent = {
      type: 'dip',
      signal,
      step,
      value: finite ? value : null,
      trend,
      depth: finite ? depth : null,
      severity: finite ? depth / threshold : null,
    };
    this.summary.count++;
    const worst = this.summary.worst;
    if (!worst || (worst.severity !== null && (event.severity === null || event.severity > worst.severity))) this.summary.worst = event;
    return event;
  }
}
