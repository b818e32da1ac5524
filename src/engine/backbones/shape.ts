// A backbone's output widths from its spec alone, without tfjs: the API sizes work (a linear probe's
// feature matrices) before any engine thread exists.
import type { BlockKind } from './blocks.ts';
import type { BackboneSpec } from './specs.ts';

/** Output channels of a block of `width`: bottlenecks expand by 4. */
export function blockOutChannels(kind: BlockKind, width: number): number {
  return kind === 'bottleneck' ? 4 * width : width;
}

/** Width of the pooled features: the last stage's block output, or the ViT's token width. */
export function featureDim(spec: BackboneSpec): number {
  return spec.family === 'vit' ? spec.dim : blockOutChannels(spec.block, spec.widths[spec.widths.length - 1]);
}
