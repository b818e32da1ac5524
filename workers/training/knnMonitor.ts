// The kNN monitor of the SimSiam code (k=200, cosine, temperature 0.1) over frozen features of a
// fixed labeled subset of the training set: 80% as the memory bank, 20% as queries.
import { Prng } from '../../src/engine/index.ts';
import type { ImageLoader } from '../../src/data/loader.ts';
import { labelIndex } from '../../src/data/manifest.ts';
import type { EngineClient } from '../../src/engine/thread/client.ts';

export interface KnnMonitor {
  /** top-1 accuracy of the current backbone */
  measure(engine: EngineClient, dim: number): Promise<number>;
}

/** Builds the monitor, or returns undefined when the dataset has fewer than two labels. */
export function knnMonitor(loader: ImageLoader, seed: number, maxImages = 4000): KnnMonitor | undefined {
  const classes = labelIndex(loader.images);
  if (classes.size < 2) return undefined;
  const labeled = loader.images.flatMap((img, i) => (img.label === null ? [] : [i]));
  const rng = new Prng(seed);
  for (let i = labeled.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [labeled[i], labeled[j]] = [labeled[j], labeled[i]];
  }
  const subset = labeled.slice(0, maxImages);
  const cut = Math.floor(subset.length * 0.8);
  const parts = { bank: subset.slice(0, cut), queries: subset.slice(cut) };
  if (!parts.bank.length || !parts.queries.length) return undefined;

  const embed = async (engine: EngineClient, indices: number[]) => {
    const { indices: kept, pixels } = await loader.batch(indices);
    const { size, channels } = loader.spec;
    const features = await engine.call('features', { pixels: { data: pixels, shape: [kept.length, size, size, channels] } }, [pixels.buffer as ArrayBuffer]);
    const labels = Int32Array.from(kept, (i) => classes.get(loader.images[i].label!)!);
    return { features, labels };
  };

  return {
    async measure(engine, dim) {
      const bank = await embed(engine, parts.bank);
      const queries = await embed(engine, parts.queries);
      return engine.call('knnAccuracy', {
        bank: bank.features,
        bankLabels: bank.labels,
        queries: queries.features,
        queryLabels: queries.labels,
        dim,
        numClasses: classes.size,
      });
    },
  };
}
