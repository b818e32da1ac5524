import { methodEngineChecks } from './checks.ts';

// AdamW by default: its moments and update counts are in the checkpoint beside the momentum encoder
methodEngineChecks('moco-v3', { projectorHiddenDim: 32, predictorHiddenDim: 24 });
methodEngineChecks('moco-v3', { projectorHiddenDim: 32, predictorHiddenDim: 24, optimizer: 'sgd', gradClip: 1 });
