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
import { experimentResolvers, experimentTypeDefs } from './experiments.ts';
import { safeErrorFormatter } from './errors.ts';
import { checkOperationLimits, GRAPHQL_LIMITS, worstCaseVariables, type SubscriptionSlots } from './limits.ts';

declare module 'mercurius' {
  interface MercuriusContext {
    /** per WebSocket connection (src/graphql/limits.ts) */
    subscriptionSlots?: SubscriptionSlots;
  }
}

async function graphql(app: FastifyInstance, { services }: { services: Services }) {
  await app.register(mercurius, {
    schema: typeDefs,
    resolvers: createResolvers(services),
    graphiql: services.config.graphiql,
    queryDepth: GRAPHQL_LIMITS.depth,
    // poll loops repeat a few operations: from its second run an operation runs compiled (graphql-jit)
    jit: 1,
    errorFormatter: safeErrorFormatter,
    context: (request): AuthContext => ({ authorization: request.headers.authorization }),
    subscription: {
      // called once per connection; every subscription on it shares the slots object
      context: (_socket, request): AuthContext & { subscriptionSlots: SubscriptionSlots } => ({
        authorization: request.headers.authorization,
        subscriptionSlots: { active: 0 },
      }),
      // a key in connection_init wins over the upgrade header; without one the header (if any) stays
      onConnect: ({ payload }) => {
        const authorization = authorizationIn(payload);
        return authorization ? { authorization } : true;
      },
    },
  });
  app.graphql.extendSchema(evaluationTypeDefs);
  app.graphql.defineResolvers(evaluationResolvers(services));
  app.graphql.extendSchema(experimentTypeDefs);
  app.graphql.defineResolvers(experimentResolvers(services));
  app.graphql.addHook('preExecution', async (schema, document, _context, variables) => {
    checkOperationLimits(schema, document, variables as Record<string, unknown> | undefined);
  });
  app.graphql.addHook('preSubscriptionExecution', async (schema, document) => {
    checkOperationLimits(schema, document, worstCaseVariables(schema, document));
  });
}

export const graphqlPlugin = fp(graphql, { name: 'graphql' });
