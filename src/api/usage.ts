// GET /v1/usage: the caller's tenant's usage against its quotas.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { usageReport } from '../domain/quotas.ts';
import { tenantOf } from './auth.ts';

export async function usageRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.get('/usage', async (request) => {
    const tenantId = tenantOf(request);
    const tenant = await services.db.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { quotas: true } });
    return { tenantId, quotas: await usageReport(services.pool, tenantId, tenant.quotas) };
  });
}
