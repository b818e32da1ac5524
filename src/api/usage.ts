// GET /v1/usage: the caller's tenant's usage against its quotas.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { usageReport } from '../domain/quotas.ts';
import { tenantOf } from './auth.ts';
import { contract } from './contract.ts';
import { schemaRef } from './schemas.ts';

export async function usageRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const schema = contract({
    summary: "The caller's tenant's usage against its quotas",
    description: 'An admin sets the limits with PATCH /v1/admin/tenants/{id}. Over a quota, a request is refused with QUOTA_EXCEEDED naming it.',
    tags: ['usage'],
    responses: { 200: schemaRef('Usage', 'usage and limits') },
  });
  app.get('/usage', { schema }, async (request) => {
    const tenantId = tenantOf(request);
    const tenant = await services.db.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { quotas: true } });
    return { tenantId, quotas: await usageReport(services.pool, tenantId, tenant.quotas) };
  });
}
