// What a `simsiam` exit status means (docs/cli.md lists them): scripts branch on these, so a code,
// once given a meaning, keeps it.
export const EXIT = {
  ok: 0,
  /** the job, embedding set or evaluation ended failed */
  failed: 1,
  /** bad arguments, an unreadable local file, or a command that needs what is not there */
  usage: 2,
  /** no key, or the service refused the key (401) or its scope (403) */
  auth: 3,
  /** the job, dataset or other resource does not exist for this key (404) */
  notFound: 4,
  /** the service could not be reached or failed (5xx) */
  server: 5,
  /** the service refused the request: validation, quota, conflict (other 4xx) */
  refused: 6,
  /** the job was cancelled */
  cancelled: 7,
  /** Ctrl-C: the CLI stopped, the job goes on */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI reports as `code: message` (or `{error: {...}}` with --json) and exits on. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(EXIT.usage, 'USAGE', message);

export function exitCodeForStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status >= 400 && status < 500) return EXIT.refused;
  return EXIT.server;
}
