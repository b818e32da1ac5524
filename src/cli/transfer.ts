// Byte counting and the bytes progress bar shared by uploads and downloads.
import { formatBytes, progressBar, type Output } from './output.ts';

export async function* counted(source: AsyncIterable<Uint8Array>, onChunk: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    onChunk(chunk.length);
    yield chunk;
  }
}

/** A bar of bytes moved out of `total` (plus any `extra` format fields); a no-op without bars. */
export class ByteProgress {
  private readonly bar;
  private bytes = 0;

  constructor(out: Output, verb: string, total: number | undefined, extra = '', payload: Record<string, unknown> = {}) {
    // without a total (no Content-Length) there is nothing to draw a bar against
    this.bar = total ? progressBar(out, `${verb} |{bar}| {percentage}% {moved}/{size}${extra} | ETA {eta_formatted}`) : undefined;
    this.bar?.start(total!, 0, { moved: formatBytes(0), size: formatBytes(total!), ...payload });
  }

  add(bytes: number) {
    this.bytes += bytes;
    this.bar?.update(this.bytes, { moved: formatBytes(this.bytes) });
  }

  update(payload: Record<string, unknown>) {
    this.bar?.update(this.bytes, payload);
  }

  get moved() {
    return this.bytes;
  }

  stop() {
    this.bar?.stop();
  }
}
