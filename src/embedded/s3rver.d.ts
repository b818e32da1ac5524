// The part of s3rver (untyped) that s3rverChild.ts uses.
declare module 's3rver' {
  import type { RequestListener } from 'node:http';
  export default class S3rver {
    constructor(options: { directory: string; silent?: boolean; vhostBuckets?: boolean });
    configureBuckets(): Promise<void>;
    callback(): RequestListener;
  }
}
