// Entry of the engine thread. Node 20 does not apply the parent's TypeScript loader to a worker's
// entry file, so register tsx here, then load the real body.
import { register } from 'tsx/esm/api';

register();
await import('./thread.ts');
