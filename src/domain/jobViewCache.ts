// Job views by id, kept in memory so that a status poll (every client's poll loop, the dashboard, the
// CLI) does not pay a database round trip while the job has not changed.
//
// A trigger on jobs NOTIFYs the id at the commit of every change to a row (prisma/migrations/
// *_job_change_notify). JobEvents hears it on its LISTEN connection and evicts here before it tells
// GraphQL subscribers, so a subscriber re-reading on a notification never gets the view from before
// it. A change this process commits is evicted before it answers (its NOTIFY arrives a moment after).
// The cache is used only while that LISTEN is in force; TTL_MS bounds what a connection that died
// unnoticed could serve. See docs/performance.md.
import type pg from 'pg';
import type { JobEvents } from '../db/jobEvents.ts';
import { readJobView, type JobView } from './jobs.ts';
import { NotifiedCache } from './notifiedCache.ts';

export const TTL_MS = 5_000;

export class JobViewCache {
  private readonly cache: NotifiedCache<{ tenantId: string; view: JobView }>;
  private watching = false;

  constructor(
    private readonly pool: pg.Pool,
    events: JobEvents,
  ) {
    // the first read starts the LISTEN (worker processes never read, so never listen)
    this.cache = new NotifiedCache(TTL_MS, () => {
      if (!this.watching) events.watch(this.cache.watcher);
      this.watching = true;
    });
  }

  /** The caller's job as clients see it; JOB_NOT_FOUND for another tenant's or no job. */
  async read(tenantId: string, id: string): Promise<JobView> {
    const entry = await this.cache.get(
      id,
      async () => ({ tenantId, view: await readJobView(this.pool, tenantId, id) }),
      (cached) => cached.tenantId === tenantId,
    );
    // the load throws rather than returning null
    return entry!.view;
  }
}
