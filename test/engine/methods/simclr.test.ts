import { methodEngineChecks } from './checks.ts';

methodEngineChecks('simclr', { projectorHiddenDim: 32 });
methodEngineChecks('simclr', { projectorHiddenDim: 32, optimizer: 'sgd' });
