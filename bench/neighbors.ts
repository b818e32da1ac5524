// GET /v1/embeddings/:id/neighbors on a synthetic set (ROWS x DIM float32, written straight to S3 +
// PostgreSQL), k = 10, queries one after another over real HTTP; meanwhile the API process's
// event-loop delay is sampled (what every other route of the process would wait). Also times the
// scan kernel alone over the same matrix in memory, to split storage from arithmetic.
// Prints one JSON line.
//
//   node --import tsx bench/neighbors.ts [--rows 70000] [--dim 512] [--queries 20]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startInProcessService } from './inProcessService.ts';
import { seedEmbeddingSet } from './syntheticEmbeddingSet.ts';
import { norm, scoreRows, TopK } from '../src/serving/cosineTopK.ts';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '70000' }, dim: { type: 'string', default: '512' }, queries: { type: 'string', default: '20' } } });
const ROWS = Number(values.rows);
const DIM = Number(values.dim);
const QUERIES = Number(values.queries);
const K = 10;
const CHUNK_ROWS = 1000;

function chunkOf(start: number, n: number): Float32Array {
  const out = new Float32Array(n * DIM);
  for (let i = 0; i < out.length; i++) out[i] = Math.sin((start * DIM + i) * 0.61803);
  return out;
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function main() {
  const service = await startInProcessService();
  try {
    const { apiKey, tenantId, services } = service;
    const { setId } = await seedEmbeddingSet(services, tenantId, {
      rows: ROWS,
      dim: DIM,
      vectors: (function* () {
        for (let start = 0; start < ROWS; start += CHUNK_ROWS) yield chunkOf(start, Math.min(CHUNK_ROWS, ROWS - start));
      })(),
      row: (i) => ({ imageId: `img_${i}`, label: null }),
    });

    // the arithmetic alone, in memory, on this thread: the best of three scans, after a warm-up
    const matrix = chunkOf(0, ROWS);
    const query = matrix.slice(0, DIM);
    let kernelMs = Infinity;
    for (let i = 0; i < 4; i++) {
      const started = performance.now();
      scoreRows(query, norm(query), matrix, 0, new TopK(K, 0));
      if (i > 0) kernelMs = Math.min(kernelMs, performance.now() - started);
    }

    const latencies: number[] = [];
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    for (let i = 0; i < QUERIES; i++) {
      const row = Math.floor(((i + 0.5) / QUERIES) * ROWS);
      const started = performance.now();
      const res = await fetch(`${service.url}/v1/embeddings/${setId}/neighbors?imageId=img_${row}&k=${K}`, { headers: { authorization: `Bearer ${apiKey}` } });
      const body = (await res.json()) as { items: Array<{ imageId: string }> };
      if (!res.ok || body.items[0]?.imageId !== `img_${row}`) throw new Error(`query ${row}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
      latencies.push(performance.now() - started);
    }
    loopDelay.disable();

    console.log(JSON.stringify({
      rows: ROWS,
      dim: DIM,
      k: K,
      queries: QUERIES,
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      // the API process's event loop while the scans ran
      eventLoopDelayP99Ms: round(loopDelay.percentile(99) / 1e6),
      eventLoopDelayMaxMs: round(loopDelay.max / 1e6),
      // one scan of the whole matrix in memory: the floor without storage
      kernelMs: round(kernelMs),
      kernelGflops: round((2 * 2 * ROWS * DIM) / (kernelMs / 1000) / 1e9, 2),
    }));
  } finally {
    await service.close();
  }
}

await main();
