// A job that names no image shape gets one from its dataset: channels from the images (any colour
// image makes it RGB), the size from the median shorter side (capped: CPU training at full
// photo resolution is not a default anyone wants), and a backbone that suits that size. The job
// echoes what was chosen in its config.
import type pg from 'pg';

export interface DatasetShape {
  /** 3 when any image has colour channels, else 1 */
  channels: 1 | 3;
  /** median of min(width, height) */
  medianSide: number;
}

const MAX_DEFAULT_SIZE = 224;

export async function datasetShape(pool: pg.Pool, tenantId: string, datasetId: string): Promise<DatasetShape | undefined> {
  const { rows } = await pool.query<{ colour: boolean | null; side: number | null }>(
    `SELECT bool_or(i.channels >= 3) AS colour,
            percentile_disc(0.5) WITHIN GROUP (ORDER BY least(i.width, i.height)) AS side
       FROM images i JOIN datasets d ON d.id = i.dataset_id
      WHERE i.dataset_id = $1 AND d.tenant_id = $2`,
    [datasetId, tenantId],
  );
  const { colour, side } = rows[0] ?? {};
  return side == null ? undefined : { channels: colour ? 3 : 1, medianSide: side };
}

/** `config` with channels, imageSize and backbone filled from the dataset where the user left them out. */
export function withDataDefaults(config: unknown, shape: DatasetShape | undefined): unknown {
  if (!shape || !config || typeof config !== 'object' || Array.isArray(config)) return config;
  const given = config as Record<string, unknown>;
  const imageSize = given.imageSize ?? Math.max(8, Math.min(MAX_DEFAULT_SIZE, shape.medianSide));
  // CIFAR-stem ResNets keep small images at full resolution; larger ones take the ImageNet stem
  const backbone = given.backbone ?? (typeof imageSize === 'number' && imageSize <= 64 ? 'resnet-small' : 'resnet18');
  return { ...given, channels: given.channels ?? shape.channels, imageSize, backbone };
}
