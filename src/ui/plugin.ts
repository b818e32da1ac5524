// The dashboard at /ui: one HTML page and its bundle (see bundle.ts). The page signs in with an
// API key and talks to the same /v1 REST routes and /graphql subscriptions as any client, so this
// plugin serves files only and needs no authentication of its own.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { bundle } from './bundle.ts';

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>simsiam-service</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/assets/app.css">
</head>
<body>
<div id="app"><p class="loading">Loading the dashboard…</p></div>
<script type="module" src="/ui/assets/app.js"></script>
</body>
</html>
`;

async function ui(app: FastifyInstance) {
  app.get('/ui', (_request, reply) => reply.redirect('/ui/'));
  app.get('/ui/', (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(PAGE));
  app.get('/ui/assets/app.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send((await bundle()).js),
  );
  app.get('/ui/assets/app.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send((await bundle()).css),
  );
}

export const uiPlugin = fp(ui, { name: 'ui' });
