// A semaphore over task count and total weight (bytes, pixels): keeps ingest throughput high while
// bounding what is held in memory at once. A single task heavier than the budget still runs, alone.
export class Limiter {
  private active = 0;
  private weight = 0;
  private waiters: Array<() => void> = [];

  constructor(
    readonly maxTasks: number,
    readonly maxWeight: number,
  ) {}

  /** Resolves with a release function once the task fits. */
  async acquire(weight: number): Promise<() => void> {
    while (!this.fits(weight)) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.active += 1;
    this.weight += weight;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      this.weight -= weight;
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    };
  }

  private fits(weight: number): boolean {
    return this.active === 0 || (this.active < this.maxTasks && this.weight + weight <= this.maxWeight);
  }
}
