// Root with the checkout in a private directory (a clone under /root): the `postgres` user cannot
// reach the embedded binaries, so nothing that needs the embedded PostgreSQL running can run.
import { embeddedBinariesDir } from '../../src/embedded/postgres.ts';
import { blockingDirectory, postgresAccount } from '../../src/embedded/pgReachability.ts';

export const asRoot = process.getuid?.() === 0;

/** The folder in the way, or undefined when the embedded PostgreSQL can start here. */
export const checkoutBlocked = asRoot ? await blockingDirectory(await embeddedBinariesDir(), postgresAccount()) : undefined;

export const embeddedSkip = checkoutBlocked && `run as root from a checkout postgres cannot enter (${checkoutBlocked.dir})`;
