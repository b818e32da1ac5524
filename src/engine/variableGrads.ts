// tf.variableGrads with the memory behaviour of PyTorch's autograd. tfjs (4.22) keeps every tensor
// a gradient function saved, and the gradient of every intermediate, until the whole backward pass
// is over, so a training step peaks at about all activations plus all their gradients. Here the
// same tape is walked in the same order with the same gradient functions (so the results are the
// same bits), but a node's saved tensors and its outputs' gradients are released as soon as that
// node's backward has run. Uses tfjs-core's tape internals (engine.state.activeTape, startTape,
// endTape), which test/engine/variableGrads.test.ts pins against tf.variableGrads.
import * as tf from '@tensorflow/tfjs';

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>;
}

interface TapeEngine {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
}

/** The loss and the gradient of each trainable variable in `variables` it depends on, by name. */
export function variableGrads(f: () => tf.Scalar, variables: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const engine = tf.engine() as unknown as TapeEngine;
  // a nested gradient needs the tape kept for the outer one
  if (engine.state.gradientDepth > 0) return tf.variableGrads(f, variables);
  const xs = variables.filter((v) => v.trainable);
  if (xs.length === 0) throw new Error('variableGrads: none of the variables is trainable');
  engine.startTape();
  const tape = () => engine.state.activeTape!;
  try {
    let y: tf.Scalar;
    try {
      y = tf.tidy(f);
    } finally {
      engine.endTape();
    }
    if (y.rank !== 0) throw new Error(`variableGrads: f must return a scalar, got rank ${y.rank}`);
    const path = nodesFromXsToY(tape(), xs, y);
    const onPath = new Set(path.map((node) => node.id));
    // what no gradient will read can go before the backward pass starts
    for (const node of tape()) if (!onPath.has(node.id)) release(node.saved);
    return tf.tidy(() => {
      const grads = backpropagate(path, y);
      const named: tf.NamedTensorMap = {};
      xs.forEach((x) => {
        if (grads.has(x.id)) named[x.name] = grads.get(x.id)!;
      });
      if (Object.keys(named).length === 0) throw new Error('variableGrads: the result does not depend on any of the variables');
      return { value: y, grads: named };
    });
  } finally {
    for (const node of tape()) release(node.saved);
    engine.state.activeTape = null;
  }
}

function release(tensors: tf.Tensor[] | undefined): void {
  for (const t of tensors ?? []) t.dispose();
}

/**
 * tfjs's backpropagateGradients (tape.ts), plus the early releases. Returns the gradient of each
 * tensor left with one: the xs' (tensors that are no node's output).
 */
function backpropagate(path: TapeNode[], y: tf.Scalar): Map<number, tf.Tensor> {
  const grads = new Map<number, tf.Tensor>([[y.id, tf.ones(y.shape)]]);
  // a gradient function may hand back a dy itself as an input's gradient: only drop a tensor no entry holds
  const drop = (t: tf.Tensor) => {
    for (const held of grads.values()) if (held === t) return;
    t.dispose();
  };
  for (let i = path.length - 1; i >= 0; i--) {
    const node = path[i];
    if (!node.gradient) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const dys = node.outputs.map((o) => grads.get(o.id) ?? null);
    const inputGradients = node.gradient(dys);
    for (const [name, x] of Object.entries(node.inputs)) {
      if (!(name in inputGradients)) throw new Error(`Cannot backprop through input ${name}.`);
      const dx = tf.tidy(() => inputGradients[name]());
      if (dx.dtype !== 'float32' || !tf.util.arraysEqual(dx.shape, x.shape)) {
        throw new Error(`gradient of input '${name}' is ${dx.dtype} [${dx.shape}], expected float32 [${x.shape}]`);
      }
      const current = grads.get(x.id);
      grads.set(x.id, current ? tf.add(current, dx) : dx);
      if (current) {
        drop(current);
        drop(dx);
      }
    }
    // every node's outputs are its own: their gradients and the node's saved tensors are done with
    for (const o of node.outputs) {
      const dy = grads.get(o.id);
      grads.delete(o.id);
      if (dy) drop(dy);
    }
    release(node.saved);
  }
  return grads;
}

/** tfjs's getFilteredNodesXToY (tape.ts): the nodes on a path from an x to y, inputs not from an x pruned. */
function nodesFromXsToY(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((input) => fromX.has(input.id))) {
      node.outputs.forEach((o) => fromX.add(o.id));
      nodesFromX.add(node.id);
    }
  }
  const leadToY = new Set([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((o) => leadToY.has(o.id))) {
      Object.values(node.inputs).forEach((input) => leadToY.add(input.id));
      nodesToY.add(node.id);
    }
  }
  return tape
    .filter((node) => nodesFromX.has(node.id) && nodesToY.has(node.id))
    .map((node) => ({ ...node, inputs: Object.fromEntries(Object.entries(node.inputs).filter(([, input]) => fromX.has(input.id))) }));
}
