// SimSiam's augmentation pipeline (official main_simsiam.py), batched as tensor ops:
//   RandomResizedCrop(scale 0.2-1, ratio 3/4-4/3) + horizontal flip -> one cropAndResize with
//   per-sample boxes (a flip is a box with x1 > x2); ColorJitter(0.4, 0.4, 0.4, 0.1) with p = 0.8
//   (fixed order brightness, contrast, saturation, hue; clamped after each like torchvision; hue as a
//   YIQ rotation, a per-sample 3x3 colour matrix); RandomGrayscale p = 0.2; GaussianBlur
//   sigma in [0.1, 2] px with p = 0.5 (separable, per-sample kernels); mean/std normalisation.
// Every random choice is drawn in JS from the caller's Prng, so a view is a pure function of
// (images, PRNG state) on a given backend. Single-channel images skip saturation, hue and grayscale.
import * as tf from '@tensorflow/tfjs';
import type { AugmentConfig } from './config.ts';
import type { Prng } from './prng.ts';
import type { ViewSpec } from './methods/method.ts';

/** uint8 pixels, [N, H, W, C] row-major (what the loader produces). */
export interface ImageBatch {
  data: Uint8Array;
  shape: [number, number, number, number];
}
export type ImageInput = tf.Tensor4D | ImageBatch;

export interface AugmentSettings {
  imageSize: number;
  channels: 1 | 3;
  augment: AugmentConfig;
}

/** ImageNet statistics (the recipe's); single-channel images use their luma-weighted average. */
export const NORMALIZATION = {
  3: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  1: { mean: [0.449], std: [0.226] },
} as const;

const RATIO: [number, number] = [3 / 4, 4 / 3];
const SIGMA: [number, number] = [0.1, 2];
const LUMA = [0.299, 0.587, 0.114];

/** Rows [start, start + count) of a batch, without copying pixels of an ImageBatch. */
export function sliceImages(images: ImageInput, start: number, count: number): ImageInput {
  if (images instanceof tf.Tensor) return tf.slice(images, [start, 0, 0, 0], [count, -1, -1, -1]);
  const [, h, w, c] = images.shape;
  const per = h * w * c;
  return { data: images.data.subarray(start * per, (start + count) * per), shape: [count, h, w, c] };
}

/** uint8 [N, H, W, C] -> float32 in [0, 1]. */
export function toUnitRange(images: ImageInput): tf.Tensor4D {
  return tf.tidy(() => {
    const t = images instanceof tf.Tensor ? tf.cast(images, 'float32') : tf.tensor4d(Float32Array.from(images.data), images.shape);
    return tf.div(t, 255) as tf.Tensor4D;
  });
}

export function normalize(x: tf.Tensor4D): tf.Tensor4D {
  const { mean, std } = NORMALIZATION[x.shape[3] as 1 | 3];
  return tf.div(tf.sub(x, mean), std) as tf.Tensor4D;
}

interface ViewParams {
  box: [number, number, number, number];
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
  gray: number;
  /** 0 = no blur */
  sigma: number;
}

/** torchvision RandomResizedCrop.get_params: [top, left, height, width] in pixels. */
function sampleCrop(rng: Prng, h: number, w: number, scale: [number, number]): [number, number, number, number] {
  for (let attempt = 0; attempt < 10; attempt++) {
    const area = h * w * rng.uniform(scale[0], scale[1]);
    const ratio = Math.exp(rng.uniform(Math.log(RATIO[0]), Math.log(RATIO[1])));
    const cw = Math.round(Math.sqrt(area * ratio));
    const ch = Math.round(Math.sqrt(area / ratio));
    if (cw > 0 && cw <= w && ch > 0 && ch <= h) return [rng.int(0, h - ch), rng.int(0, w - cw), ch, cw];
  }
  // fallback: central crop with the ratio clamped into range
  const inRatio = w / h;
  const cw = inRatio > RATIO[1] ? Math.round(h * RATIO[1]) : w;
  const ch = inRatio < RATIO[0] ? Math.round(w / RATIO[0]) : h;
  return [Math.floor((h - ch) / 2), Math.floor((w - cw) / 2), ch, cw];
}

/** Normalised cropAndResize box sampling the crop at half-pixel centres (like a plain resize). */
function cropBox(crop: [number, number, number, number], h: number, w: number, size: number, flip: boolean): ViewParams['box'] {
  const [top, left, ch, cw] = crop;
  const y1 = (top + ch / (2 * size) - 0.5) / (h - 1);
  const y2 = (top + ch - ch / (2 * size) - 0.5) / (h - 1);
  const x1 = (left + cw / (2 * size) - 0.5) / (w - 1);
  const x2 = (left + cw - cw / (2 * size) - 0.5) / (w - 1);
  return flip ? [y1, x2, y2, x1] : [y1, x1, y2, x2];
}

function drawView(rng: Prng, h: number, w: number, s: AugmentSettings, blurOn: boolean, view: Required<ViewSpec>): ViewParams {
  const a = s.augment;
  const box = cropBox(sampleCrop(rng, h, w, view.scale), h, w, view.size, a.horizontalFlip && rng.bernoulli(0.5));
  const jitter = rng.bernoulli(a.colorJitterProb);
  const factor = (amount: number) => (jitter ? rng.uniform(Math.max(0, 1 - amount), 1 + amount) : 1);
  const brightness = factor(a.brightness);
  const contrast = factor(a.contrast);
  const saturation = factor(a.saturation);
  const hue = jitter ? rng.uniform(-a.hue, a.hue) : 0;
  const gray = rng.bernoulli(a.grayscaleProb) ? 1 : 0;
  const sigma = blurOn && rng.bernoulli(a.blurProb) ? rng.uniform(SIGMA[0], SIGMA[1]) : 0;
  return { box, brightness, contrast, saturation, hue, gray, sigma };
}

function luma(x: tf.Tensor4D): tf.Tensor4D {
  return x.shape[3] === 1 ? x : (tf.sum(tf.mul(x, LUMA), 3, true) as tf.Tensor4D);
}

const perSample = (values: number[]) => tf.tensor4d(values, [values.length, 1, 1, 1]);
const clip01 = (x: tf.Tensor) => tf.clipByValue(x, 0, 1) as tf.Tensor4D;

// YIQ <-> RGB: hue is the angle in the IQ plane
const RGB_TO_YIQ = [
  [0.299, 0.587, 0.114],
  [0.596, -0.274, -0.322],
  [0.211, -0.523, 0.312],
];
const YIQ_TO_RGB = [
  [1, 0.956, 0.621],
  [1, -0.272, -0.647],
  [1, -1.106, 1.703],
];

/** Row-vector colour matrix (pixel @ M) rotating hue by `hue` turns. */
function hueMatrix(hue: number): number[] {
  const c = Math.cos(2 * Math.PI * hue);
  const s = Math.sin(2 * Math.PI * hue);
  const rot = [
    [1, 0, 0],
    [0, c, -s],
    [0, s, c],
  ];
  const mul = (a: number[][], b: number[][]) => a.map((row) => b[0].map((_, j) => row.reduce((acc, v, k) => acc + v * b[k][j], 0)));
  const m = mul(YIQ_TO_RGB, mul(rot, RGB_TO_YIQ)); // column-vector form
  return [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => m[j][i])); // transposed for row vectors
}

function colorJitter(x: tf.Tensor4D, p: ViewParams[]): tf.Tensor4D {
  x = clip01(tf.mul(x, perSample(p.map((v) => v.brightness))));
  const c = perSample(p.map((v) => v.contrast));
  const mean = tf.mean(luma(x), [1, 2, 3], true);
  x = clip01(tf.add(tf.mul(x, c), tf.mul(mean, tf.sub(1, c))));
  if (x.shape[3] === 1) return x;
  const s = perSample(p.map((v) => v.saturation));
  x = clip01(tf.add(tf.mul(x, s), tf.mul(luma(x), tf.sub(1, s))));
  const [n, h, w] = x.shape;
  const hue = tf.tensor3d(p.flatMap((v) => hueMatrix(v.hue)), [n, 3, 3]);
  return clip01(tf.reshape(tf.matMul(tf.reshape(x, [n, h * w, 3]), hue), [n, h, w, 3]));
}

function randomGrayscale(x: tf.Tensor4D, p: ViewParams[]): tf.Tensor4D {
  const g = perSample(p.map((v) => v.gray));
  return tf.add(tf.mul(x, tf.sub(1, g)), tf.mul(luma(x), g));
}

/** Per-sample separable Gaussian blur with reflect padding; sigma 0 leaves a sample unchanged. */
function gaussianBlur(x: tf.Tensor4D, p: ViewParams[]): tf.Tensor4D {
  const [n, h, w, ch] = x.shape;
  const radius = Math.min(Math.ceil(3 * SIGMA[1]), h - 1, w - 1);
  const taps = 2 * radius + 1;
  // depthwise conv over the batch folded into channels: channel n*C + c uses sample n's kernel
  const weights = new Float32Array(taps * n * ch);
  p.forEach((v, i) => {
    const k = Array.from({ length: taps }, (_, t) => (v.sigma > 0 ? Math.exp(-((t - radius) ** 2) / (2 * v.sigma ** 2)) : t === radius ? 1 : 0));
    const total = k.reduce((a, b) => a + b, 0);
    for (let t = 0; t < taps; t++) for (let c = 0; c < ch; c++) weights[t * n * ch + i * ch + c] = k[t] / total;
  });
  const folded = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, h, w, n * ch]) as tf.Tensor4D;
  const padded = tf.mirrorPad(folded, [[0, 0], [radius, radius], [radius, radius], [0, 0]], 'reflect');
  const horizontal = tf.depthwiseConv2d(padded, tf.tensor4d(weights, [1, taps, n * ch, 1]), 1, 'valid');
  const blurred = tf.depthwiseConv2d(horizontal, tf.tensor4d(weights, [taps, 1, n * ch, 1]), 1, 'valid');
  return tf.transpose(tf.reshape(blurred, [h, w, n, ch]), [2, 0, 1, 3]);
}

function view(images: tf.Tensor4D, p: ViewParams[], size: number): tf.Tensor4D {
  const n = images.shape[0];
  const boxes = tf.tensor2d(p.flatMap((v) => v.box), [n, 4]);
  let x = tf.image.cropAndResize(images, boxes, tf.range(0, n, 1, 'int32') as tf.Tensor1D, [size, size], 'bilinear');
  if (p.some((v) => v.brightness !== 1 || v.contrast !== 1 || v.saturation !== 1 || v.hue !== 0)) x = colorJitter(x, p);
  if (x.shape[3] === 3 && p.some((v) => v.gray)) x = randomGrayscale(x, p);
  if (p.some((v) => v.sigma > 0)) x = gaussianBlur(x, p);
  return normalize(x);
}

/** Independently augmented float32 views [N, size, size, C] of a uint8 batch: `count` per spec, in
 * spec order. The crop scale defaults to the config's. */
export function augmentViews(images: ImageInput, settings: AugmentSettings, rng: Prng, specs: ViewSpec[]): tf.Tensor4D[] {
  const [n, h, w, c] = images.shape;
  if (c !== settings.channels) throw new Error(`expected ${settings.channels} channels, got ${c}`);
  const a = settings.augment;
  const blurOn = a.blur === 'on' || (a.blur === 'auto' && settings.imageSize >= 64);
  const views = specs.flatMap(({ count, size, scale = [a.cropScaleMin, a.cropScaleMax] }) =>
    Array.from({ length: count }, () => ({ size, params: Array.from({ length: n }, () => drawView(rng, h, w, settings, blurOn, { count, size, scale })) })),
  );
  return tf.tidy(() => {
    const x = toUnitRange(images);
    return views.map((v) => view(x, v.params, v.size));
  });
}
