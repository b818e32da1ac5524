// A job's metric series as the page holds it: points merged by step (a later write at a step
// wins, as in the store), and the events read from them.
export type MetricValues = Record<string, number | boolean | null | undefined>;

export interface MetricPoint {
  epoch: number;
  step: number;
  values: MetricValues;
}

export function mergePoints(existing: MetricPoint[], incoming: MetricPoint[]): MetricPoint[] {
  if (!incoming.length) return existing;
  const byStep = new Map(existing.map((p) => [p.step, p]));
  for (const p of incoming) byStep.set(p.step, { ...p, values: { ...byStep.get(p.step)?.values, ...p.values } });
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

export const num = (v: MetricValues[string]): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export interface JobEvent {
  kind: 'collapse' | 'knn-dip' | 'loss-rise';
  epoch: number;
  message: string;
}

/** How far kNN top-1 must fall below its best so far to count as a dip. */
export const KNN_DIP = 0.02;

/**
 * Events at epoch ends: the collapse flag turning on, kNN top-1 falling KNN_DIP or more below its
 * best so far, and the epoch's mean loss rising over the previous epoch's.
 */
export function jobEvents(points: MetricPoint[]): JobEvent[] {
  const events: JobEvent[] = [];
  let collapsed = false;
  let bestKnn: number | null = null;
  let previousLoss: number | null = null;
  for (const p of points) {
    if (!p.values.epochEnd) continue;
    const epoch = p.epoch;
    if (p.values.collapsed === true && !collapsed) {
      events.push({ kind: 'collapse', epoch, message: `collapse flagged: the std of z stayed below the threshold (z std ${fmt(num(p.values.zStd))})` });
    }
    collapsed = p.values.collapsed === true;
    const knn = num(p.values.knnTop1);
    if (knn !== null) {
      if (bestKnn !== null && knn <= bestKnn - KNN_DIP) events.push({ kind: 'knn-dip', epoch, message: `kNN top-1 dipped to ${fmt(knn)} (best ${fmt(bestKnn)})` });
      bestKnn = Math.max(bestKnn ?? knn, knn);
    }
    const loss = num(p.values.epochLoss);
    if (loss !== null) {
      if (previousLoss !== null && loss > previousLoss) events.push({ kind: 'loss-rise', epoch, message: `epoch loss rose from ${fmt(previousLoss)} to ${fmt(loss)}` });
      previousLoss = loss;
    }
  }
  return events;
}

export function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v.toPrecision(digits)).toString();
}
