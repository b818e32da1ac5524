// Why a file was not added. Stable codes: clients switch on them.
export type SkipReason =
  | 'NOT_AN_IMAGE'
  | 'UNSUPPORTED_FORMAT'
  | 'CORRUPT_IMAGE'
  | 'IMAGE_TOO_LARGE'
  | 'FILE_TOO_LARGE'
  | 'PATH_TRAVERSAL'
  | 'SYMLINK'
  | 'NOT_A_FILE'
  | 'NOT_UPLOADED'
  | 'INVALID_NAME'
  | 'INVALID_LABEL';

/** Thrown by a file loader when the file turns out unusable before it is probed. */
export class SkipError extends Error {
  constructor(readonly reason: SkipReason) {
    super(reason);
    this.name = 'SkipError';
  }
}
