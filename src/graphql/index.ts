// GraphQL at /graphql (mercurius): queries over HTTP, subscriptions over WebSocket
// (graphql-transport-ws), GraphiQL at /graphiql when the config enables it.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import mercurius from 'mercurius';
import type { Services } from '../services.ts';
import { authorizationIn, type AuthContext } from './auth.ts';
import { createResolvers } from './resolvers.ts';
import { typeDefs } from './schema.ts';
import { evaluationResolvers, evaluationTypeDefs } from './evaluations.ts';

async function graphql(app: FastifyInstance, { services }: { services: Services }) {
  await app.register(mercurius, {
    schema: typeDefs,
    resolvers: createResolvers(services),
    graphiql: services.config.graphiql,
    context: (request): AuthContext => ({ authorization: request.headers.authorization }),
    subscription: {
      context: (_socket, request): AuthContext => ({ authorization: request.headers.authorization }),
      // a key in connection_init wins over the upgrade header; without one the header (if any) stays
      onConnect: ({ payload }) => {
        const authorization = authorizationIn(payload);
        return authorization ? { authorization } : true;
      },
    },
  });
  app.graphql.extendSchema(evaluationTypeDefs);
  app.graphql.defineResolvers(evaluationResolvers(services));
}

export const graphqlPlugin = fp(graphql, { name: 'graphql' });
