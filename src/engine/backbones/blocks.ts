// Residual blocks (He et al. 2016; torchvision v1.5: the stride sits on the 3x3 conv). The last BN of
// each block starts with gamma = 0 so every block is the identity at init (zero_init_residual=True,
// as in the official SimSiam code). Written once over NetOps: training runs them on tensors, the
// export builds tfjs-layers from them.
import type { NetOps } from './ops.ts';
import { blockOutChannels } from './shape.ts';

export type BlockKind = 'basic' | 'bottleneck';

export function residualBlock<T>(ops: NetOps<T>, name: string, kind: BlockKind, x: T, width: number, stride: number): T {
  const out = blockOutChannels(kind, width);
  let y: T;
  if (kind === 'basic') {
    y = ops.relu(ops.convBn(`${name}.1`, x, width, 3, stride));
    y = ops.convBn(`${name}.2`, y, width, 3, 1, true);
  } else {
    y = ops.relu(ops.convBn(`${name}.1`, x, width, 1, 1));
    y = ops.relu(ops.convBn(`${name}.2`, y, width, 3, stride));
    y = ops.convBn(`${name}.3`, y, out, 1, 1, true);
  }
  // identity, or a 1x1 conv + BN projection when the shape changes
  const shortcut = stride === 1 && ops.channels(x) === out ? x : ops.convBn(`${name}.downsample`, x, out, 1, stride);
  return ops.relu(ops.add(`${name}.add`, y, shortcut));
}
