// One decoder for training, feature extraction and evaluation (mixing decoders shifts pixel values):
// sharp → resize the shorter side to `size` → centre crop → raw uint8 HWC with `channels` channels.
import sharp from 'sharp';
import type { TrainingConfig } from '../domain/trainingConfig.ts';

export interface DecodeSpec {
  /** side of the square output */
  size: number;
  channels: 1 | 3;
}

/** Bytes of one decoded image. */
export const decodedBytes = (spec: DecodeSpec) => spec.size * spec.size * spec.channels;

/** The side images are stored at for training: headroom for RandomResizedCrop (1.15×, as 256/224). */
const trainingDecodeSize = (imageSize: number) => Math.round(imageSize * 1.15);

/** How images are decoded for a model of `config`: exactly as for training. */
export const decodeSpecOf = (config: Pick<TrainingConfig, 'imageSize' | 'channels'>): DecodeSpec => ({ size: trainingDecodeSize(config.imageSize), channels: config.channels });

export async function decodeImage(bytes: Uint8Array, spec: DecodeSpec): Promise<Uint8Array> {
  let pipeline = sharp(bytes, { failOn: 'error' })
    .rotate() // honour EXIF orientation
    .resize(spec.size, spec.size, { fit: 'cover', position: 'centre' })
    .removeAlpha();
  pipeline = spec.channels === 1 ? pipeline.toColourspace('b-w') : pipeline.toColourspace('srgb');
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== spec.channels || info.width !== spec.size || info.height !== spec.size) {
    throw new Error(`decoder produced ${info.width}x${info.height}x${info.channels}`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
