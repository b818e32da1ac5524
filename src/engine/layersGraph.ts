// What building a backbone as tfjs-layers yields (layersExport.ts, vitLayers.ts): the graph, and
// each layer with the values of its weights from the engine's exported parameters.
import type * as tf from '@tensorflow/tfjs';
import type { NamedArray } from './checkpoint.ts';

export type Values = { data: Float32Array; shape: number[] };

/** A layer and the values of its weights, in the layer's order. */
export type WeightAssignment = { layer: tf.layers.Layer; values: Values[] };

export interface LayersGraph {
  input: tf.SymbolicTensor;
  features: tf.SymbolicTensor;
  assignments: WeightAssignment[];
  /** what the features are, for the model's metadata */
  description: string;
}

export const layerName = (name: string) => name.replaceAll('.', '_');

export function parameterLookup(backbone: NamedArray[]): (name: string) => Values {
  const byName = new Map(backbone.map((t) => [t.name, t]));
  return (name) => {
    const t = byName.get(name);
    if (!t) throw new Error(`backbone has no parameter ${name}`);
    return { data: Float32Array.from(t.data), shape: [...t.shape] };
  };
}
