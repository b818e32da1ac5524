// Domain errors (AppError: 401/404/409...) become GraphQL errors carrying the same stable code in
// extensions.code, so REST and GraphQL clients branch on the same strings.
import mercurius from 'mercurius';
import { AppError } from '../domain/errors.ts';

export function guarded<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (err) {
      if (err instanceof AppError) {
        throw new mercurius.ErrorWithProps(err.message, err.details === undefined ? { code: err.code } : { code: err.code, details: err.details });
      }
      throw err;
    }
  };
}
