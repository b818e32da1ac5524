// A worker's own heartbeat: its I/O thread stamps the time every few seconds, so a worker whose
// event loop is stuck (or that is gone) shows a stale timestamp (or no target) in Prometheus.
import { Gauge } from 'prom-client';
import { processRegistry } from './registry.ts';

const HEARTBEAT_MS = 5000;

const heartbeat = new Gauge({
  name: 'simsiam_worker_heartbeat_timestamp_seconds',
  help: 'Unix time of the last heartbeat of each worker in this process',
  labelNames: ['worker'],
  registers: [processRegistry],
});

/** Starts stamping `workerId`'s heartbeat; the result stops it and drops the series. */
export function startHeartbeat(workerId: string): () => void {
  const beat = () => heartbeat.setToCurrentTime({ worker: workerId });
  beat();
  const timer = setInterval(beat, HEARTBEAT_MS).unref();
  return () => {
    clearInterval(timer);
    heartbeat.remove({ worker: workerId });
  };
}
