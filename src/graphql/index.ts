import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Services } from '../services.ts';

// PLACEHOLDER: GraphQL schema is being written
export const graphqlPlugin = fp(async (_app: FastifyInstance, _opts: { services: Services }) => {});
