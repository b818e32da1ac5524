// Every failure a client can see is an AppError: an HTTP status, a stable machine-readable code and
// a message. The API renders them as {error: {code, message, details?}}.
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
}

export const notFound = (what: string, id: string) =>
  new AppError(404, `${what.toUpperCase()}_NOT_FOUND`, `${what} ${id} not found`);

export const badRequest = (code: string, message: string, details?: unknown) =>
  new AppError(400, code, message, details);

export const conflict = (code: string, message: string, details?: unknown) =>
  new AppError(409, code, message, details);
