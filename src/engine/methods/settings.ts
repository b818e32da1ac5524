// Each method's own config fields and its recipe over the shared ones, from its paper and official
// code (small-image settings where they exist). tfjs-free: the API validates with these.
import type { FromProperties } from '../schema.ts';

interface MethodSettings<P> {
  /** where the defaults come from */
  source: string;
  /** shared fields whose default differs for this method */
  defaults: Record<string, number | string | boolean>;
  properties: P;
  /** fills defaults that depend on other fields */
  derive?(config: FromProperties<P>): void;
}

const define = <const P extends Record<string, object>>(s: MethodSettings<P>) => s;

const simsiam = define({
  source: 'Chen & He, Exploring Simple Siamese Representation Learning (CVPR 2021); facebookresearch/simsiam',
  defaults: {},
  properties: {
    projectorDim: { type: 'integer', minimum: 8, maximum: 8192, default: 2048 },
    // default d/4: the paper's bottleneck predictor
    predictorHiddenDim: { type: 'integer', minimum: 4, maximum: 8192 },
    projectorLayers: { enum: [2, 3], default: 3 },
    // where the heads have BN (paper table 5): 'default' = projector hidden + output, predictor hidden
    bn: { enum: ['none', 'hidden-only', 'default', 'all'], default: 'default' },
    // the predictor's lr stays at the initial lr (paper sec. 4.2)
    fixPredictorLr: { type: 'boolean', default: true },
    stopGradient: { type: 'boolean', default: true },
    // 'fixed-random': initialised, never trained; 'moving-average': no predictor, the target is a
    // per-image moving average of past projections (paper sec. 5, the hypothesis experiments)
    predictor: { enum: ['mlp', 'none', 'fixed-random', 'moving-average'], default: 'mlp' },
    // m in eta_x <- m * eta_x + (1 - m) * z_x for predictor 'moving-average'
    movingAverageRate: { type: 'number', minimum: 0, maximum: 1, default: 0.8 },
    // targets from a snapshot of the network refreshed every k steps (or once per epoch); 1 = SimSiam
    alternation: {
      type: 'object',
      additionalProperties: false,
      default: { every: 1 },
      properties: { every: { oneOf: [{ type: 'integer', minimum: 1, maximum: 1000000 }, { enum: ['epoch'] }], default: 1 } },
    },
    symmetric: { type: 'boolean', default: true },
    loss: { enum: ['negative-cosine', 'cross-entropy'], default: 'negative-cosine' },
  },
  derive(config) {
    config.predictorHiddenDim ??= Math.max(4, Math.floor(config.projectorDim / 4));
  },
});

export const METHOD_SETTINGS = { simsiam } as const;
export type MethodName = keyof typeof METHOD_SETTINGS;
export const METHODS = Object.keys(METHOD_SETTINGS) as MethodName[];
