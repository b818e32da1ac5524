// Each method's own config fields and its recipe over the shared ones, from its paper and official
// code (small-image settings where they exist). tfjs-free: the API validates with these.
import type { FromProperties } from '../schema.ts';
import { type BackboneName, isVit, VIT_ONLY } from '../backbones/names.ts';

interface MethodSettings<P> {
  /** where the defaults come from */
  source: string;
  /** shared fields whose default differs for this method */
  defaults: Record<string, number | string | boolean>;
  properties: P;
  /** fills defaults that depend on other fields */
  derive?(config: FromProperties<P>): void;
  /** views of a batch a target network (momentum encoder, snapshot) encodes per step, before the
   * gradient tape (0 when absent); weighs in the memory estimate (backbones/vitOptions.ts) */
  targetViews?(config: FromProperties<P>): number;
  /** what no schema can say: fields that do not fit the rest of the config */
  check?(config: FromProperties<P>): Array<{ field: string; message: string }>;
}

/** Backbones given as ViTs by name (the patch projection, position embeddings and class token exist
 * only there). */

const backboneOf = (config: object) => (config as { backbone: BackboneName }).backbone;

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
  // the snapshot encodes both views when it is not the network itself
  targetViews: (config) => (config.alternation.every === 1 ? 0 : 2),
});

const simclr = define({
  source:
    'Chen et al., A Simple Framework for Contrastive Learning of Visual Representations (ICML 2020), appendix B.9 (CIFAR-10); google-research/simclr README CIFAR-10 command: LARS, lr 1.0 per 256, weight decay 1e-4, temperature 0.5, 10 warm-up epochs',
  defaults: { optimizer: 'lars', baseLr: 1.0, weightDecay: 0.0001, warmupEpochs: 10 },
  properties: {
    projectorHiddenDim: { type: 'integer', minimum: 8, maximum: 8192, default: 2048 },
    projectorDim: { type: 'integer', minimum: 8, maximum: 8192, default: 128 },
    // NT-Xent temperature; 0.5 is the paper's best for CIFAR-10 (appendix B.9)
    temperature: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: 0.5 },
  },
});

const mocoV2 = define({
  source:
    'Chen et al., Improved Baselines with Momentum Contrastive Learning (MoCo v2, 2020): 2048-128 MLP head, temperature 0.2, lr 0.03 per 256; facebookresearch/moco colab/moco_cifar10_demo.ipynb (CIFAR-10): K 4096, m 0.99, weight decay 5e-4, 8 BN splits, asymmetric loss',
  defaults: { baseLr: 0.03, weightDecay: 0.0005 },
  properties: {
    projectorHiddenDim: { type: 'integer', minimum: 8, maximum: 8192, default: 2048 },
    projectorDim: { type: 'integer', minimum: 8, maximum: 8192, default: 128 },
    temperature: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: 0.2 },
    // K negatives; must hold at least one step's keys
    queueSize: { type: 'integer', minimum: 16, maximum: 1048576, default: 4096 },
    // m in theta_k <- m * theta_k + (1 - m) * theta_q
    keyMomentum: { type: 'number', minimum: 0, maximum: 1, default: 0.99 },
    // shuffle-BN on one device: the key encoder's BN statistics over this many disjoint sub-batches
    // of a shuffled batch (1 = off)
    keyBnSplits: { type: 'integer', minimum: 1, maximum: 256, default: 8 },
    // both views as queries, both keys enqueued (the CIFAR demo's option)
    symmetric: { type: 'boolean', default: false },
  },
  // keys of view 2; symmetric: of both
  targetViews: (config) => (config.symmetric ? 2 : 1),
});

const byol = define({
  source:
    'Grill et al., Bootstrap Your Own Latent (NeurIPS 2020): heads, symmetric loss, tau_base 0.99 for small data (paper sec. F / solo-learn scripts/pretrain/cifar/byol.yaml); SGD recipe of lightly benchmarks/cifar10 (lr 0.06 per 128 images, wd 5e-4)',
  defaults: { baseLr: 0.12, weightDecay: 0.0005 },
  properties: {
    projectorHiddenDim: { type: 'integer', minimum: 8, maximum: 8192, default: 4096 },
    projectorDim: { type: 'integer', minimum: 8, maximum: 8192, default: 256 },
    predictorHiddenDim: { type: 'integer', minimum: 4, maximum: 8192, default: 4096 },
    // target EMA rate, rising from tauBase to 1 on a cosine over the run's steps (0.996 for ImageNet)
    tauBase: { type: 'number', minimum: 0, maximum: 1, default: 0.99 },
  },
  targetViews: () => 2,
});

const swav = define({
  source:
    'Caron et al., Unsupervised Learning of Visual Features by Contrasting Cluster Assignments (NeurIPS 2020); facebookresearch/swav main_swav.py (Sinkhorn, queue, multi-crop scales); 512 prototypes and the SGD recipe of lightly benchmarks/cifar10 (lr 0.06 per 128 images, wd 5e-4)',
  defaults: { baseLr: 0.12, weightDecay: 0.0005 },
  properties: {
    projectorHiddenDim: { type: 'integer', minimum: 8, maximum: 8192, default: 2048 },
    projectorDim: { type: 'integer', minimum: 8, maximum: 8192, default: 128 },
    // K: ImageNet uses 3000; without a queue a small-data batch of ~128-256 features cannot spread
    // over 3000 clusters, and the paper finds K matters little from 300 up (lightly's small-data
    // benchmarks use 512)
    prototypes: { type: 'integer', minimum: 2, maximum: 65536, default: 512 },
    temperature: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: 0.1 },
    sinkhornIterations: { type: 'integer', minimum: 1, maximum: 100, default: 3 },
    sinkhornEpsilon: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.05 },
    freezePrototypesEpochs: { type: 'integer', minimum: 0, maximum: 10000, default: 1 },
    // features of past batches prepended to the Sinkhorn input; 0 = no queue (main_swav.py's default)
    queueLength: { type: 'integer', minimum: 0, maximum: 262144, default: 0 },
    queueStartEpoch: { type: 'integer', minimum: 0, maximum: 10000, default: 15 },
    // multi-crop: V small crops beside the 2 large ones (0 = off); default size 96/224 of imageSize
    smallCrops: { type: 'integer', minimum: 0, maximum: 16, default: 0 },
    smallCropSize: { type: 'integer', minimum: 8, maximum: 512 },
    smallCropScaleMin: { type: 'number', minimum: 0.01, maximum: 1, default: 0.05 },
    smallCropScaleMax: { type: 'number', minimum: 0.01, maximum: 1, default: 0.14 },
  },
  derive(config) {
    const { imageSize } = config as typeof config & { imageSize: number };
    config.smallCropSize ??= Math.max(8, Math.round((imageSize * 96) / 224));
  },
});

const mocoV3 = define({
  source:
    "Chen, Xie & He, An Empirical Study of Training Self-Supervised Vision Transformers (MoCo v3, ICCV 2021); facebookresearch/moco-v3: moco/builder.py (heads, in-batch InfoNCE scaled by 2 tau), main_moco.py (m 0.99 rising to 1 on a cosine; AdamW with torch's betas 0.9, 0.999), CONFIG.md ViT recipe (AdamW lr 1.5e-4 per 256, wd 0.1, 40 warm-up of 300 epochs, tau 0.2, --stop-grad-conv1); the same heads, tau and m in solo-learn's CIFAR recipe (scripts/pretrain/cifar/mocov3.yaml)",
  // warm-up: the official 40 of 300 epochs, the same share of the default 20
  defaults: { optimizer: 'adamw', baseLr: 0.00015, weightDecay: 0.1, warmupEpochs: 3 },
  properties: {
    projectorHiddenDim: { type: 'integer', minimum: 8, maximum: 8192, default: 4096 },
    projectorDim: { type: 'integer', minimum: 8, maximum: 8192, default: 256 },
    predictorHiddenDim: { type: 'integer', minimum: 4, maximum: 8192, default: 4096 },
    // default 3 for a ViT, 2 for a ResNet, as the official builder (MoCo_ViT, MoCo_ResNet)
    projectorLayers: { enum: [2, 3] },
    temperature: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: 0.2 },
    // m in theta_k <- m * theta_k + (1 - m) * theta_q at the start; it rises to 1 on a cosine
    keyMomentum: { type: 'number', minimum: 0, maximum: 1, default: 0.99 },
    // the stability trick (paper sec. 4.2): the ViT's patch projection stays at its random init;
    // default on for a ViT (the official ViT recipe's --stop-grad-conv1), ViT only
    freezePatchProjection: { type: 'boolean', ...VIT_ONLY },
  },
  derive(config) {
    const vit = isVit(backboneOf(config));
    config.projectorLayers ??= vit ? 3 : 2;
    config.freezePatchProjection ??= vit;
  },
  targetViews: () => 2,
  check(config) {
    return config.freezePatchProjection && !isVit(backboneOf(config))
      ? [{ field: 'freezePatchProjection', message: `needs a ViT backbone: ${backboneOf(config)} has no patch projection` }]
      : [];
  },
});

export const METHOD_SETTINGS = { simsiam, simclr, 'moco-v2': mocoV2, byol, swav, 'moco-v3': mocoV3 } as const;
export type MethodName = keyof typeof METHOD_SETTINGS;
export const METHODS = Object.keys(METHOD_SETTINGS) as MethodName[];
