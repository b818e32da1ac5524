// `simsiam`: the service from a shell (bin/simsiam.mjs runs this file). One module per command; this
// one assembles them and turns every failure into a message and an exit code (src/cli/exitCodes.ts).
import fs from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CliError, EXIT } from './exitCodes.ts';
import { loginCommand } from './login.ts';
import { datasetsCommand } from './datasets.ts';
import { trainCommand } from './train.ts';
import { watchCommand } from './watch.ts';
import { cancelCommand, jobsCommand } from './jobs.ts';
import { embeddingsCommand } from './embeddings.ts';
import { probeCommand } from './probe.ts';
import { exportCommand } from './export.ts';

const EXIT_CODES_HELP = `
Exit codes:
  0    ok (watch: the job succeeded)
  1    the job, embedding set or evaluation failed
  2    usage error: bad arguments or an unreadable local file
  3    not logged in, or the key was refused (401/403)
  4    not found (404): no such job, dataset, ... for this key
  5    the service is unreachable or failed (5xx), or an unexpected error
  6    the service refused the request (validation, quota, conflict: other 4xx)
  7    the job was cancelled
  130  Ctrl-C (watch: the job goes on)

Environment: SIMSIAM_URL and SIMSIAM_API_KEY override the profile; SIMSIAM_PROFILE picks one;
SIMSIAM_CONFIG_DIR moves ~/.config/simsiam. Docs: docs/cli.md`;

const version = (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function program(): Command {
  const root = new Command('simsiam')
    .description('SimSiam-as-a-service from the shell: upload datasets, train, watch, embed, probe, export')
    .version(version)
    .option('--json', 'print machine-readable JSON on stdout, and nothing else')
    .option('--profile <name>', 'the login profile to use (default: $SIMSIAM_PROFILE or "default")')
    .addHelpText('after', EXIT_CODES_HELP)
    .showHelpAfterError('(add --help for usage)');
  for (const command of [loginCommand(), datasetsCommand(), trainCommand(), watchCommand(), jobsCommand(), cancelCommand(), embeddingsCommand(), probeCommand(), exportCommand()]) {
    root.addCommand(command);
  }
  // commander exits by itself on a usage error; every command throws instead so we pick the code
  const throwing = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(throwing);
  };
  throwing(root);
  return root;
}

/** Filesystem errors (an --out in a missing directory, an unreadable file) are the caller's to fix. */
const isLocalFileError = (err: unknown) => typeof (err as NodeJS.ErrnoException).syscall === 'string' && typeof (err as NodeJS.ErrnoException).path === 'string';

function report(err: unknown, json: boolean): number {
  if (err instanceof CommanderError) {
    // help and --version "fail" with exit code 0; commander has printed what went wrong
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  const failure =
    err instanceof CliError
      ? err
      : isLocalFileError(err)
        ? new CliError(EXIT.usage, (err as NodeJS.ErrnoException).code ?? 'FILE_ERROR', (err as Error).message)
        : new CliError(EXIT.server, 'UNEXPECTED', (err as Error)?.stack ?? String(err));
  const body = { code: failure.code, message: failure.message, ...(failure.details === undefined ? {} : { details: failure.details }) };
  process.stderr.write(json ? `${JSON.stringify({ error: body, exitCode: failure.exitCode })}\n` : `error ${failure.code}: ${failure.message}\n`);
  return failure.exitCode;
}

const argv = process.argv.slice(2);
program()
  .parseAsync(argv, { from: 'user' })
  .then(
    () => (typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok),
    (err: unknown) => report(err, argv.includes('--json')),
  )
  // explicit: an open socket or timer must not keep a finished command alive
  .then((code) => process.exit(code));
