// What every command gets from the global options: how to print, and (on demand, so `login` and
// usage errors need no profile) the connection of the chosen profile.
import { InvalidArgumentError, type Command } from 'commander';
import { connect, type Connection } from './api.ts';
import { outputFor, type Output } from './output.ts';
import { DEFAULT_PROFILE, resolveProfile } from './profiles.ts';

export interface Context {
  out: Output;
  profile: string;
  connection(): Promise<Connection>;
}

export function contextOf(command: Command): Context {
  const opts = command.optsWithGlobals<{ json?: boolean; profile?: string }>();
  const profile = opts.profile ?? (process.env.SIMSIAM_PROFILE || DEFAULT_PROFILE);
  return { out: outputFor(Boolean(opts.json)), profile, connection: async () => connect(await resolveProfile(profile)) };
}

/**
 * Adapts a handler to commander's action signature (positionals..., options, command): the handler
 * gets the context first, then commander's arguments.
 */
export function withContext<A extends unknown[]>(handler: (ctx: Context, ...args: A) => Promise<void>) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    await handler(contextOf(command), ...(args.slice(0, -1) as A));
  };
}

/** A positive integer option (commander's argParser). */
export function positiveInt(name: string) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got "${raw}"`);
    return value;
  };
}
