// One LISTEN connection of its own (a plain pg.Client, so it never takes a pool slot) on one channel.
// It tells its owner when it is listening and when it stopped: notifications sent while it was down
// are lost, so an owner that caches must drop what it holds on either event. A lost connection is
// re-made with backoff until close().
import pg from 'pg';

export interface ListenerEvents {
  notification(payload: string): void;
  /** LISTEN is in force from now on */
  listening(): void;
  /** the connection is gone; notifications may be missed until the next `listening` */
  lost(): void;
}

const RECONNECT_FIRST_MS = 250;
const RECONNECT_MAX_MS = 30_000;
// keepalive probes find a peer that vanished without closing the socket (a failover, a dropped NAT entry)
const KEEPALIVE_AFTER_MS = 10_000;

export class NotificationListener {
  private client?: pg.Client;
  private started = false;
  private closed = false;
  private retryMs = RECONNECT_FIRST_MS;

  constructor(
    private readonly databaseUrl: string,
    private readonly channel: string,
    private readonly events: ListenerEvents,
  ) {}

  /** Connects in the background (once; later calls do nothing). */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    void this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, keepAlive: true, keepAliveInitialDelayMillis: KEEPALIVE_AFTER_MS });
    // without an 'error' listener a dropped connection would crash the process
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      if (msg.channel === this.channel && msg.payload !== undefined) this.events.notification(msg.payload);
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
    } catch {
      this.lost(client);
      return;
    }
    if (this.client !== client) return; // lost (or closed) while LISTEN was on its way
    this.retryMs = RECONNECT_FIRST_MS;
    this.events.listening();
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return; // 'error' and 'end' both fire for one loss
    this.client = undefined;
    client.end().catch(() => {});
    this.events.lost();
    if (this.closed) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
    setTimeout(() => {
      if (!this.closed && !this.client) void this.connect();
    }, delay).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (client) {
      this.events.lost();
      await client.end().catch(() => {});
    }
  }
}
