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
  // a nested gradient needs the tape kept for the outer one
  if (tapeEngine().state.gradientDepth > 0) return tf.variableGrads(f, variables);
  const xs = variables.filter((v) => v.trainable);
  if (xs.length === 0) throw new Error('variableGrads: none of the variables is trainable');
  return onOwnTape(f, xs, undefined, (y, grads) => {
    if (y.rank !== 0) throw new Error(`variableGrads: f must return a scalar, got rank ${y.rank}`);
    const named: tf.NamedTensorMap = {};
    xs.forEach((x) => {
      if (grads.has(x.id)) named[x.name] = grads.get(x.id)!;
    });
    if (Object.keys(named).length === 0) throw new Error('variableGrads: the result does not depend on any of the variables');
    return { value: y as tf.Scalar, grads: named };
  });
}

/**
 * The vector-Jacobian product dy * d f() / d x for each of `xs` (zeros for an x that f() does not
 * reach), with the same early releases; f()'s value is disposed. Block recomputation (recompute.ts)
 * calls it inside an outer backward pass.
 */
export function vjp(f: () => tf.Tensor, xs: tf.Tensor[], dy: tf.Tensor): tf.Tensor[] {
  // inside a gradient being recorded (a gradient of a gradient), tfjs's nests on the outer tape
  if (tapeEngine().state.gradientDepth > 0) {
    const { value, grads } = tf.engine().gradients(f, xs, dy, true);
    value.dispose();
    return grads.map((g, i) => g ?? tf.zerosLike(xs[i]));
  }
  return onOwnTape(f, xs, dy, (y, grads) => {
    y.dispose();
    return xs.map((x) => grads.get(x.id) ?? tf.zerosLike(x));
  });
}

const tapeEngine = () => tf.engine() as unknown as TapeEngine;

/**
 * Records f() on a fresh tape and backpropagates `dy` (ones when undefined) to `xs`; `finish` turns
 * f()'s value and the gradients by tensor id into the result (inside the tidy that keeps it). The
 * tape of a backward pass already under way (tfjs's own, which still reads engine.state.activeTape
 * when it ends) is put back afterwards.
 */
function onOwnTape<R extends tf.TensorContainer>(f: () => tf.Tensor, xs: tf.Tensor[], dy: tf.Tensor | undefined, finish: (y: tf.Tensor, grads: Map<number, tf.Tensor>) => R): R {
  const engine = tapeEngine();
  const outer = engine.state.activeTape;
  engine.startTape();
  const tape = engine.state.activeTape!;
  try {
    let y: tf.Tensor;
    try {
      y = tf.tidy(f);
    } finally {
      engine.endTape();
      // nothing records at depth 0, and a gradient function may start a tape of its own
      engine.state.activeTape = outer;
    }
    if (dy && !tf.util.arraysEqual(dy.shape, y.shape)) throw new Error(`vjp: dy is [${dy.shape}], f returned [${y.shape}]`);
    const path = nodesFromXsToY(tape, xs, y);
    const onPath = new Set(path.map((node) => node.id));
    // what no gradient will read can go before the backward pass starts
    for (const node of tape) if (!onPath.has(node.id)) release(node.saved);
    return tf.tidy(() => finish(y, backpropagate(path, y, dy)));
  } finally {
    for (const node of tape) release(node.saved);
  }
}

function release(tensors: tf.Tensor[] | undefined): void {
  for (const t of tensors ?? []) t.dispose();
}

/**
 * tfjs's backpropagateGradients (tape.ts), plus the early releases. Returns the gradient of each
 * tensor left with one: the xs' (tensors that are no node's output).
 */
function backpropagate(path: TapeNode[], y: tf.Tensor, dy?: tf.Tensor): Map<number, tf.Tensor> {
  // a clone: the seed is dropped with y's node, and a caller's dy is the caller's
  const grads = new Map<number, tf.Tensor>([[y.id, dy ? tf.clone(dy) : tf.ones(y.shape)]]);
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
