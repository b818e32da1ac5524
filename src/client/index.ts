// The typed REST client of the service: openapi-fetch over the types generated from
// openapi/openapi.json (`npm run client`). The dashboard and the CLI both talk to the API through it.
import createFetchClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema.d.ts';

export type { paths, components } from './schema.d.ts';
export type ServiceClient = Client<paths>;

/**
 * A client whose every request carries `Authorization: Bearer <key>`. The key may be a function so
 * that a page reads the current one at request time (it changes on login).
 */
export function createClient(baseUrl: string, apiKey?: string | (() => string | undefined)): ServiceClient {
  const client = createFetchClient<paths>({ baseUrl });
  const keyOf = typeof apiKey === 'function' ? apiKey : () => apiKey;
  client.use({
    onRequest({ request }) {
      const key = keyOf();
      if (key) request.headers.set('Authorization', `Bearer ${key}`);
      return request;
    },
  });
  return client;
}
