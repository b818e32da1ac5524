import { methodEngineChecks } from './checks.ts';

methodEngineChecks('moco-v2', { projectorHiddenDim: 32, queueSize: 16, keyBnSplits: 2 });
methodEngineChecks('moco-v2', { projectorHiddenDim: 32, queueSize: 16, symmetric: true });
