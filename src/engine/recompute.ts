// Block-level activation recomputation ("gradient checkpointing", Chen et al. 2016; PyTorch's
// torch.utils.checkpoint): the forward pass of a block keeps only the block's input, its
// intermediates are disposed as soon as its output exists; the backward pass runs the block's
// forward again on a tape of its own and backpropagates the output's gradient through it. The
// whole net then holds every block's input plus one block's activations, at the price of one more
// forward pass per block. The gradients are those of the plain block, to the bit: the same
// kernels on the same inputs, the same gradient functions in the same order. Only for blocks
// without random ops or state updates (a ViT block: linears, LayerNorm, GELU, softmax), which a
// second forward pass would draw or apply again.
import * as tf from '@tensorflow/tfjs';
import type { Init, ParamSource } from './params.ts';
import { vjp } from './variableGrads.ts';

type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

interface ParamRequest {
  name: string;
  shape: number[];
  init: Init;
  trainable?: boolean;
}

/**
 * The parameter requests each block key makes, in order. A block's variables must be inputs of the
 * tape node (that is how their gradients reach the backward pass), so they are needed before the
 * block runs; replaying the requests against the caller's store gives them, creating any that do
 * not exist yet in the same order with the same draws as the block itself would.
 */
const requestsByKey = new Map<string, ParamRequest[]>();

function recording(store: ParamSource, requests: ParamRequest[]): ParamSource {
  return {
    getOrCreate: (name, shape, init, trainable) => {
      requests.push({ name, shape, init, trainable });
      return store.getOrCreate(name, shape, init, trainable);
    },
  };
}

const sameRequests = (a: ParamRequest[], b: ParamRequest[]) =>
  a.length === b.length && a.every((r, i) => r.name === b[i].name && tf.util.arraysEqual(r.shape, b[i].shape));

/**
 * block(store, x), keeping only x for the backward pass. `key` names the block and everything its
 * parameter shapes depend on: each key must always request the same parameters (checked on every
 * call). The first call of a key runs the block plainly to learn them (the methods' first call is
 * their small parameter-creating pass).
 */
export function recomputed<T extends tf.Tensor>(store: ParamSource, key: string, x: T, block: (store: ParamSource, x: T) => T): T {
  const known = requestsByKey.get(key);
  if (!known) {
    const requests: ParamRequest[] = [];
    const y = block(recording(store, requests), x);
    requestsByKey.set(key, requests);
    return y;
  }
  const variables = [...new Set(known.map((r) => store.getOrCreate(r.name, r.shape, r.init, r.trainable)))];
  // frozen parameters (target networks) get no gradient: read through the store, not inputs
  const trainable = variables.filter((v) => v.trainable);
  const op = tf.customGrad(((input: T, ...rest: unknown[]) => {
    const save = rest[rest.length - 1] as tf.GradSaveFunc;
    const requests: ParamRequest[] = [];
    // runs with the tape paused: customGrad's forward is one kernel, its intermediates go with its tidy
    const value = block(recording(store, requests), input);
    if (!sameRequests(requests, known)) throw new Error(`recomputed: block ${key} asked for other parameters than on its first call`);
    save([input]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => vjp(() => block(store, saved as T), [saved, ...trainable], dy),
    };
  }) as unknown as CustomGradientFunc);
  return op(x, ...trainable) as T;
}
