// multipart/form-data uploads: file parts go through the ingest pipeline in order. A `label` field
// sets the label of the file parts after it (until the next `label` field); an empty one clears it.
import type { Multipart } from '@fastify/multipart';
import type { ImageSink } from './store.ts';
import { readAll } from './streams.ts';

export async function ingestMultipart(parts: AsyncIterable<Multipart>, sink: ImageSink): Promise<void> {
  let label: string | null = null;
  for await (const part of parts) {
    if (part.type === 'field') {
      if (part.fieldname === 'label') label = String(part.value).trim() || null;
      continue;
    }
    // the plugin's fileSize limit truncates the part instead of failing the whole request
    const data = await readAll(part.file);
    if (part.file.truncated) sink.skip(part.filename, 'FILE_TOO_LARGE');
    else await sink.add({ name: part.filename, label, split: null }, data);
  }
}
