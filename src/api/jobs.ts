import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';

// PLACEHOLDER: job routes are being written
export async function jobRoutes(_app: FastifyInstance, _opts: { services: Services }) {}
