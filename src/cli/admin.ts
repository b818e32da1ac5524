// `npm run admin -- <command>`: the admin API from a shell, straight on the database (and S3, which
// deleting a tenant needs). Configured like the service (DATABASE_URL, S3_*); prints JSON.
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ConfigError, loadConfig } from '../config.ts';
import { startServices, type Services } from '../services.ts';
import { AppError } from '../errors/catalogue.ts';
import { createApiKey, listApiKeys, revokeApiKey, rotateApiKey } from '../domain/apiKeys.ts';
import { createTenantRecord, describeTenant, listTenants, updateTenant, type QuotaChanges } from '../domain/tenantAdmin.ts';
import { deleteTenant } from '../domain/deletion.ts';
import { QUOTA_NAMES, type QuotaName } from '../domain/quotas.ts';
import { isScope, type Scope } from '../domain/tenants.ts';

const USAGE = `usage: npm run admin -- <command>
  tenants list
  tenants create <name> [--quota name=value]... [--key]   (--key: also make a key and print its secret)
  tenants show <tenantId>
  tenants set-quota <tenantId> name=value|default...
  tenants delete <tenantId>
  keys list <tenantId>
  keys create <tenantId> [--name N] [--scopes read,write,admin] [--expires <ISO date-time>]
  keys revoke <tenantId> <keyId>
  keys rotate <tenantId> <keyId>
quotas: ${QUOTA_NAMES.join(', ')}`;

class UsageError extends Error {}

function quotaChanges(pairs: string[]): QuotaChanges {
  const changes: QuotaChanges = {};
  for (const pair of pairs) {
    const [name, value] = pair.split('=');
    if (!QUOTA_NAMES.includes(name as QuotaName) || value === undefined) throw new UsageError(`not a quota setting: ${pair}`);
    if (value === 'default') changes[name as QuotaName] = null;
    else if (/^\d+$/.test(value)) changes[name as QuotaName] = Number(value);
    else throw new UsageError(`${name} must be a non-negative integer or "default", got ${value}`);
  }
  return changes;
}

function scopesOf(raw: string | undefined): Scope[] | undefined {
  if (raw === undefined) return undefined;
  const scopes = raw.split(',').map((s) => s.trim());
  const bad = scopes.filter((s) => !isScope(s));
  if (bad.length || !scopes.length) throw new UsageError(`unknown scope(s): ${bad.join(', ')} (read, write, admin)`);
  return scopes as Scope[];
}

function need(positionals: string[], count: number): string[] {
  if (positionals.length !== count) throw new UsageError(`expected ${count} argument(s), got ${positionals.length}`);
  return positionals;
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        quota: { type: 'string', multiple: true },
        key: { type: 'boolean' },
        name: { type: 'string' },
        scopes: { type: 'string' },
        expires: { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

type Parsed = ReturnType<typeof parse>;

async function run(services: Services, { values, positionals }: Parsed): Promise<unknown> {
  const [group, command, ...rest] = positionals;
  const { db } = services;
  switch (`${group} ${command}`) {
    case 'tenants list':
      return listTenants(db, { limit: 1000 });
    case 'tenants create': {
      const [name] = need(rest, 1);
      const tenant = await createTenantRecord(db, { name: name!, quotas: quotaChanges(values.quota ?? []) });
      return values.key ? { ...tenant, key: await createApiKey(db, tenant.id, { name: 'default' }) } : tenant;
    }
    case 'tenants show':
      return describeTenant(services, need(rest, 1)[0]!);
    case 'tenants set-quota': {
      const [tenantId, ...pairs] = rest;
      if (!tenantId || !pairs.length) throw new UsageError('tenants set-quota <tenantId> name=value...');
      return updateTenant(db, tenantId, { quotas: quotaChanges(pairs) });
    }
    case 'tenants delete': {
      const [tenantId] = need(rest, 1);
      await deleteTenant(services, tenantId!);
      return { deleted: tenantId };
    }
    case 'keys list':
      return listApiKeys(db, need(rest, 1)[0]!);
    case 'keys create':
      return createApiKey(db, need(rest, 1)[0]!, { name: values.name, scopes: scopesOf(values.scopes), expiresAt: values.expires });
    case 'keys revoke': {
      const [tenantId, keyId] = need(rest, 2);
      return revokeApiKey(db, tenantId!, keyId!);
    }
    case 'keys rotate': {
      const [tenantId, keyId] = need(rest, 2);
      return rotateApiKey(db, tenantId!, keyId!);
    }
    default:
      throw new UsageError(group ? `unknown command: ${positionals.slice(0, 2).join(' ')}` : 'no command given');
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  const parsed = parse(argv);
  const config = loadConfig();
  const log = pino({ level: 'warn' }, pino.destination(2));
  const services = await startServices({ ...config, inProcessWorker: false }, log);
  try {
    process.stdout.write(`${JSON.stringify(await run(services, parsed), null, 2)}\n`);
    return 0;
  } finally {
    await services.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) process.stderr.write(`${err.message}\n${USAGE}\n`);
    else if (err instanceof AppError) process.stderr.write(`error ${err.code}: ${err.message}\n`);
    else if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
