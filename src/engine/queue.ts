// A FIFO queue of feature rows kept in two non-trainable variables (so checkpoints carry it): the
// rows [K, d] and the next write position [1]. MoCo's negatives; SwAV's optional feature queue.
import * as tf from '@tensorflow/tfjs';

/** Writes `batches` (rows in order) at the write position, wrapping around, and advances it. */
export function enqueue(rows: tf.Variable, position: tf.Variable, batches: tf.Tensor[]): void {
  const size = rows.shape[0];
  const ptr = position.dataSync()[0];
  tf.tidy(() => {
    const incoming = tf.concat(batches);
    const n = incoming.shape[0];
    if (n > size) throw new Error(`${n} rows do not fit a queue of ${size}`);
    // row j of the new queue: incoming row (j - ptr) mod K where that is < n, else the old row j
    const source = Int32Array.from({ length: size }, (_, j) => {
      const i = (j - ptr + size) % size;
      return i < n ? size + i : j;
    });
    rows.assign(tf.gather(tf.concat([rows, incoming]), source));
    position.assign(tf.tensor1d([(ptr + n) % size]));
  });
}
