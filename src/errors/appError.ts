// Every failure a client can see is an AppError: an HTTP status, a stable machine-readable code and
// a message. Made only by the factories of the catalogue (catalogue.ts); REST renders it as
// {error: {code, message, details?}}, GraphQL as an error with extensions.code.
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }

  /** The JSON body of the error, as REST answers it. */
  body() {
    return { error: this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details } };
  }

  /** The same error carrying machine-readable details (which field, which limit...). */
  with(details: unknown): AppError {
    return new AppError(this.statusCode, this.code, this.message, details);
  }
}
