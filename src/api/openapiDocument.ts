// The committed OpenAPI document (openapi/openapi.json) and how it is made: the app's routes,
// registered with the default configuration (so the document does not depend on the environment it
// is generated in) and with no services behind them, since nothing is served.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import type { Services } from '../services.ts';

export const OPENAPI_PATH = fileURLToPath(new URL('../../openapi/openapi.json', import.meta.url));

export async function generateOpenApiDocument(): Promise<Record<string, unknown>> {
  const app = await buildApp({ config: loadConfig({}) } as Services, { logger: false });
  try {
    await app.ready();
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
  }
}

/** The document as the committed file holds it. */
export const documentText = (document: unknown) => `${JSON.stringify(document, null, 2)}\n`;

/** The committed document. */
export function loadOpenApiDocument(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(OPENAPI_PATH, 'utf8'));
}
