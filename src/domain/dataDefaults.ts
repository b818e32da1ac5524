// A job that leaves fields out gets them from its dataset: channels from the images (any colour image
// makes it RGB), the size from the median shorter side (capped: CPU training at full photo resolution
// is not a default anyone wants), a backbone that suits that size, augmentations that suit the images
// (no colour ops on one channel, a crop floor for tiny images) and, for few images, a batch that fits
// and more epochs. Only fields the user did not set are filled; the job echoes what was chosen in its
// config. The reasons are in docs/defaults.md.
import type pg from 'pg';

export interface DatasetShape {
  /** 3 when any image has colour channels, else 1 */
  channels: 1 | 3;
  /** median of min(width, height) */
  medianSide: number;
  /** images in the dataset */
  count?: number;
}

const MAX_DEFAULT_SIZE = 224;
const DEFAULT_EPOCHS = 20;
const DEFAULT_BATCH = 128;
/** a default job sees at least this many images in all, however few the dataset has */
const MIN_IMAGES_SEEN = 100_000;
const MAX_DEFAULT_EPOCHS = 500;
/** the smallest crop a default RandomResizedCrop takes, in pixels of side */
const MIN_CROP_SIDE = 12;
const PAPER_CROP_SCALE_MIN = 0.2;
const MAX_DEFAULT_CROP_SCALE_MIN = 0.5;

export async function datasetShape(pool: pg.Pool, tenantId: string, datasetId: string): Promise<DatasetShape | undefined> {
  const { rows } = await pool.query<{ colour: boolean | null; side: number | null; count: string }>(
    `SELECT bool_or(i.channels >= 3) AS colour,
            percentile_disc(0.5) WITHIN GROUP (ORDER BY least(i.width, i.height)) AS side,
            count(*) AS count
       FROM images i JOIN datasets d ON d.id = i.dataset_id
      WHERE i.dataset_id = $1 AND d.tenant_id = $2`,
    [datasetId, tenantId],
  );
  const { colour, side, count } = rows[0] ?? {};
  return side == null ? undefined : { channels: colour ? 3 : 1, medianSide: side, count: Number(count) };
}

type Fields = Record<string, unknown>;
const isObject = (v: unknown): v is Fields => !!v && typeof v === 'object' && !Array.isArray(v);

/** Augmentation fields the data decides; the user's own `augment` fields are kept as given. */
function augmentDefaults(channels: unknown, imageSize: unknown): Fields {
  const defaults: Fields = {};
  // saturation, hue and random grayscale do nothing on one channel: echoed as off, not silently skipped
  if (channels === 1) Object.assign(defaults, { saturation: 0, hue: 0, grayscaleProb: 0 });
  // a 20% crop of a 16 px image is 7 px: too little left to match against the other view
  if (typeof imageSize === 'number') {
    const floor = (MIN_CROP_SIDE / imageSize) ** 2;
    if (floor > PAPER_CROP_SCALE_MIN) defaults.cropScaleMin = Math.round(Math.min(floor, MAX_DEFAULT_CROP_SCALE_MIN) * 100) / 100;
  }
  return defaults;
}

/** Batch and epochs for a dataset of `count` images, when the user set neither epochs nor a budget. */
function fewImageDefaults(given: Fields, count: number | undefined): Fields {
  if (!count) return {};
  // a batch must fit the dataset at least twice, or training has one step an epoch or none
  const batchSize = given.batchSize ?? (count >= 2 * DEFAULT_BATCH ? undefined : Math.max(2, 2 ** Math.floor(Math.log2(count / 2))));
  const batch = typeof batchSize === 'number' ? batchSize : DEFAULT_BATCH;
  const stepsPerEpoch = Math.max(1, Math.floor(count / batch));
  const needed = Math.ceil(MIN_IMAGES_SEEN / (stepsPerEpoch * batch));
  const epochs = given.epochs !== undefined || given.budget !== undefined || needed <= DEFAULT_EPOCHS ? undefined : Math.min(MAX_DEFAULT_EPOCHS, needed);
  return { ...(batchSize === undefined ? {} : { batchSize }), ...(epochs === undefined ? {} : { epochs }) };
}

/** `config` with the fields the data decides filled where the user left them out. */
export function withDataDefaults(config: unknown, shape: DatasetShape | undefined): unknown {
  if (!shape || !isObject(config)) return config;
  const given = config;
  const imageSize = given.imageSize ?? Math.max(8, Math.min(MAX_DEFAULT_SIZE, shape.medianSide));
  const channels = given.channels ?? shape.channels;
  // CIFAR-stem ResNets keep small images at full resolution; larger ones take the ImageNet stem
  const backbone = given.backbone ?? (typeof imageSize === 'number' && imageSize <= 64 ? 'resnet-small' : 'resnet18');
  const augment = isObject(given.augment) || given.augment === undefined ? { ...augmentDefaults(channels, imageSize), ...(given.augment as Fields | undefined) } : given.augment;
  const filled: Fields = { ...given, channels, imageSize, backbone, ...fewImageDefaults(given, shape.count) };
  return Object.keys(augment as Fields).length || given.augment !== undefined ? { ...filled, augment } : filled;
}
