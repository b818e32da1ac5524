// Prisma CLI config: the JS (wasm) schema engine + adapter-pg, so generate and migrate need no
// binary download (the machine is offline; see README "Database").
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

// generate reads env("DATABASE_URL") from the schema even though it never connects
process.env.DATABASE_URL ??= 'postgresql://postgres@127.0.0.1:5432/postgres';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  async adapter() {
    const url = new URL(process.env.DATABASE_URL!);
    // discrete fields, not a connectionString: otherwise the shadow database resolves to the main one
    return new PrismaPg({
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username || 'postgres'),
      password: decodeURIComponent(url.password),
      database: url.pathname.slice(1) || 'postgres',
    });
  },
});
