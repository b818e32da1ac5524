// `simsiam login`: checks the URL and key against the service, then stores them in a profile.
import { Command } from 'commander';
import { connect, normalizeUrl, unwrap } from './api.ts';
import { withContext } from './context.ts';
import { usageError } from './exitCodes.ts';
import { emit } from './output.ts';
import { saveProfile } from './profiles.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

function serviceUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`--url must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`--url must be an http(s) URL, got "${raw}"`);
  return normalizeUrl(url.toString());
}

export function loginCommand(): Command {
  return new Command('login')
    .description('check a service URL and API key, then store them in a profile')
    .requiredOption('--url <url>', 'the service, e.g. http://localhost:8080')
    .requiredOption('--key <key>', 'an API key; "-" reads it from stdin (keeps it out of shell history)')
    .action(
      withContext(async (ctx, opts: { url: string; key: string }) => {
        const url = serviceUrl(opts.url);
        const key = opts.key === '-' ? await readStdin() : opts.key;
        if (!key) throw usageError('the API key is empty');
        const conn = connect({ url, key });
        // any authenticated read proves the key; usage is the cheapest
        await unwrap(conn, conn.client.GET('/v1/usage'));
        const file = await saveProfile(ctx.profile, { url, key });
        emit(ctx.out, { profile: ctx.profile, url, file }, `logged in to ${url} (profile "${ctx.profile}", saved in ${file})`);
      }),
    );
}
