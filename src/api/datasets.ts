import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';

// PLACEHOLDER: dataset routes are being written
export async function datasetRoutes(_app: FastifyInstance, _opts: { services: Services }) {}
