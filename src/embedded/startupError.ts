/** A refusal to start that the operator can fix; main.ts prints its message alone. */
export class StartupError extends Error {
  override name = 'StartupError';
}
