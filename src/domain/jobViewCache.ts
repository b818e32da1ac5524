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
import type { ChangeWatcher, JobEvents } from '../db/jobEvents.ts';
import { readJobView, type JobView } from './jobs.ts';

export const TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  tenantId: string;
  view: JobView;
  expiresAt: number;
}

export class JobViewCache {
  private readonly entries = new Map<string, Entry>();
  private watching = false;
  private listening = false;
  // bumped by every eviction: a database read that started before one must not refill the cache
  private generation = 0;

  private readonly watcher: ChangeWatcher = {
    changed: (id) => (id === '*' ? this.flush() : this.evict(id)),
    listening: () => {
      this.flush();
      this.listening = true;
    },
    lost: () => {
      this.listening = false;
      this.flush();
    },
  };

  constructor(
    private readonly pool: pg.Pool,
    private readonly events: JobEvents,
  ) {}

  /** The caller's job as clients see it; JOB_NOT_FOUND for another tenant's or no job. */
  async read(tenantId: string, id: string): Promise<JobView> {
    if (!this.listening) {
      // the first read starts the LISTEN (worker processes never read, so never listen)
      if (!this.watching) this.events.watch(this.watcher);
      this.watching = true;
      return readJobView(this.pool, tenantId, id);
    }
    const hit = this.entries.get(id);
    if (hit && hit.tenantId === tenantId && hit.expiresAt > Date.now()) return hit.view;
    const generation = this.generation;
    const view = await readJobView(this.pool, tenantId, id);
    if (this.listening && generation === this.generation) this.remember(id, { tenantId, view, expiresAt: Date.now() + TTL_MS });
    return view;
  }

  private remember(id: string, entry: Entry): void {
    this.entries.delete(id);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(id, entry);
  }

  private evict(id: string): void {
    this.generation++;
    this.entries.delete(id);
  }

  private flush(): void {
    this.generation++;
    this.entries.clear();
  }
}
