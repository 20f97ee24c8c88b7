// Keras 3's operations (keras.src.ops.*: `x + y`, keras.ops.mean, ...) for the tfjs oracle (run_tfjs.js):
// tfjs-layers has no such classes, so each op runs as a KerasOp layer, by tfjs-core's own kernel of the same
// name, with numpy broadcasting and Keras's type promotion written here from keras/src/backend/common/dtypes.py.
// Requiring this file registers KerasOp with tfjs's serialization.
'use strict';
const tf = require('@tensorflow/tfjs-core');
const tfl = require('@tensorflow/tfjs-layers');

// `fn` applied over `axis` of `x`: tfjs-core's softmax and logSoftmax take only the last axis, so another one
// is moved there and back.
function alongLast(x, axis, fn) {
  const a = axis < 0 ? axis + x.rank : axis;
  if (a === x.rank - 1) return fn(x);
  const perm = [...Array(x.rank).keys()];
  perm[a] = x.rank - 1;
  perm[x.rank - 1] = a;
  return tf.transpose(fn(tf.transpose(x, perm)), perm);
}

// Keras 3's type promotion (keras/src/backend/common/dtypes.py result_type) on the types tfjs has: its lattice
// restricted to them is the chain bool < weak int < int32 < weak float < float32, and the result is the highest
// operand, a weak one resolving to int32 or float32. A JavaScript number is weak; whether it was Python's `3`
// or `3.0` is lost in JSON, so an integral value counts as an int (cases keep integral floats away from integer
// tensors).
const TYPE_RANK = {bool: 0, int32: 2, float32: 4};
function kerasResultType(values, extraFloat) {
  let rank = extraFloat ? 3 : 0;
  for (const v of values) {
    const r = typeof v === 'number' ? (Number.isInteger(v) ? 1 : 3) : TYPE_RANK[v.dtype];
    rank = Math.max(rank, r);
  }
  return rank === 0 ? 'bool' : rank <= 2 ? 'int32' : 'float32';
}
function asType(v, dtype) {
  return typeof v === 'number' ? tf.scalar(dtype === 'bool' ? Number(v !== 0) : v, dtype) : tf.cast(v, dtype);
}
// The operands converted to their Keras result type (true division adds a float, as Keras's does).
function promoted(values, extraFloat) {
  const dtype = kerasResultType(values, extraFloat);
  return values.map((v) => asType(v, dtype));
}
// Operands of an ordered comparison: bools are ordered as numpy and JAX order them (false < true), compared
// as int32 (Keras's TensorFlow backend refuses them).
function ordered(values) {
  const dtype = kerasResultType(values, false);
  return values.map((v) => asType(v, dtype === 'bool' ? 'int32' : dtype));
}
// Keras's math functions turn integers into float32 before computing.
const toFloat = (x) => tf.cast(x, 'float32');

// Keras 3's operations by class name: tfjs-core's kernels, written from keras.ops' documentation. `a` holds the
// op's constructor arguments (camelCase, as tfjs converts config keys).
const OPS = {
  Add: (x1, x2) => tf.add(x1, x2),
  Subtract: (x1, x2) => tf.sub(x1, x2),
  Multiply: (x1, x2) => tf.mul(x1, x2),
  Divide: (x1, x2) => tf.div(x1, x2),
  TrueDivide: (x1, x2) => tf.div(x1, x2),
  Maximum: (x1, x2) => tf.maximum(x1, x2),
  Minimum: (x1, x2) => tf.minimum(x1, x2),
  Power: (x1, x2) => tf.pow(x1, x2),
  // tfjs-core's matMul broadcasts a leading axis of 1 wrongly (measured: (2, 1, 3, 4) by (2, 2, 4, 3) differs by
  // 2.6 from the product with that axis tiled), so both operands are tiled to numpy's broadcast shape first.
  Matmul: (x1, x2) => {
    const lead = x1.shape.slice(0, -2).map((d, i) => Math.max(d, x2.shape[i]));
    const tile = (t) => tf.tile(t, [...lead.map((d, i) => d / t.shape[i]), 1, 1]);
    return tf.matMul(tile(x1), tile(x2));
  },
  Negative: (x) => tf.neg(x),
  Absolute: (x) => tf.abs(x),
  Square: (x) => (x.dtype === 'bool' ? tf.square(tf.cast(x, 'int32')) : tf.square(x)),
  Sqrt: (x) => tf.sqrt(toFloat(x)),
  Exp: (x) => tf.exp(toFloat(x)),
  Log: (x) => tf.log(toFloat(x)),
  // tfjs-core has no int64; a cast to it is refused before the run (adapt).
  Cast: (x, a) => tf.cast(x, a.dtype),
  Equal: (x1, x2) => tf.equal(...promoted([x1, x2])),
  NotEqual: (x1, x2) => tf.notEqual(...promoted([x1, x2])),
  Less: (x1, x2) => tf.less(...ordered([x1, x2])),
  LessEqual: (x1, x2) => tf.lessEqual(...ordered([x1, x2])),
  Greater: (x1, x2) => tf.greater(...ordered([x1, x2])),
  GreaterEqual: (x1, x2) => tf.greaterEqual(...ordered([x1, x2])),
  LogicalAnd: (x1, x2) => tf.logicalAnd(asType(x1, 'bool'), asType(x2, 'bool')),
  LogicalOr: (x1, x2) => tf.logicalOr(asType(x1, 'bool'), asType(x2, 'bool')),
  LogicalNot: (x) => tf.logicalNot(asType(x, 'bool')),
  Where: (c, x1, x2) => tf.where(asType(c, 'bool'), ...promoted([x1, x2])),
  Erf: (x) => tf.erf(x),
  Clip: (x, a) => tf.minimum(tf.maximum(x, a.xMin), a.xMax),
  Relu: (x) => tf.relu(x),
  Relu6: (x) => tf.relu6(x),
  Sigmoid: (x) => tf.sigmoid(x),
  Tanh: (x) => tf.tanh(x),
  Softplus: (x) => tf.softplus(x),
  Silu: (x) => tf.mul(x, tf.sigmoid(x)),
  // Keras: approximate=True is 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), else 0.5 x (1 + erf(x / sqrt 2)).
  Gelu: (x, a) => (a.approximate ?
      tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI),
                                                        tf.add(x, tf.mul(0.044715, tf.pow(x, 3))))))) :
      tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))))),
  Elu: (x, a) => tf.where(tf.greater(x, 0), x, tf.mul(a.alpha, tf.sub(tf.exp(x), 1))),
  Selu: (x) => tf.selu(x),
  HardSigmoid: (x) => tf.div(tf.relu6(tf.add(x, 3)), 6),
  HardSilu: (x) => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6)),
  LeakyRelu: (x, a) => tf.leakyRelu(x, a.negativeSlope),
  Softmax: (x, a) => alongLast(x, a.axis, (t) => tf.softmax(t)),
  LogSoftmax: (x, a) => alongLast(x, a.axis, (t) => tf.logSoftmax(t)),
  Sum: (x, a) => tf.sum(x, a.axis, a.keepdims),
  Mean: (x, a) => tf.mean(x, a.axis, a.keepdims),
  Max: (x, a) => tf.max(x, a.axis, a.keepdims),
  Min: (x, a) => tf.min(x, a.axis, a.keepdims),
  Reshape: (x, a) => tf.reshape(x, a.newshape),
  ExpandDims: (x, a) => tf.expandDims(x, a.axis),
  Squeeze: (x, a) => tf.squeeze(x, a.axis == null ? undefined : [].concat(a.axis)),
  Transpose: (x, a) => tf.transpose(x, a.axes),
  Concatenate: (xs, a) => tf.concat(xs, a.axis),  // takes the list of tensors
};
// The parameter names of the ops' operands, as a node's keyword arguments name a number; the arithmetic ones
// meet in their Keras result type first.
const OPERANDS = {
  Add: ['x1', 'x2'], Subtract: ['x1', 'x2'], Multiply: ['x1', 'x2'], Divide: ['x1', 'x2'],
  TrueDivide: ['x1', 'x2'], Maximum: ['x1', 'x2'], Minimum: ['x1', 'x2'], Power: ['x1', 'x2'],
  Matmul: ['x1', 'x2'], Equal: ['x1', 'x2'], NotEqual: ['x1', 'x2'], Less: ['x1', 'x2'],
  LessEqual: ['x1', 'x2'], Greater: ['x1', 'x2'], GreaterEqual: ['x1', 'x2'], LogicalAnd: ['x1', 'x2'],
  LogicalOr: ['x1', 'x2'], Where: ['condition', 'x1', 'x2'],
};
const ARITHMETIC = ['Add', 'Subtract', 'Multiply', 'Divide', 'TrueDivide', 'Maximum', 'Minimum', 'Power'];

class KerasOp extends tfl.layers.Layer {
  constructor(config) {
    super({name: config.name});
    this.op = config.op;
    this.a = config.args;
    this.kwargs = {};
  }
  apply(inputs, kwargs) {
    // Each op object has one call: its numbers come with the call that builds the model and live here for
    // the runs, which tfjs makes without them.
    if (kwargs) this.kwargs = kwargs;
    return super.apply(inputs, kwargs);
  }
  compute(xs) {
    xs = [...xs];
    if (this.op in OPERANDS) {
      let args = OPERANDS[this.op].map((p) => (p in this.kwargs ? this.kwargs[p] : xs.shift()));
      if (ARITHMETIC.includes(this.op)) args = promoted(args, this.op === 'Divide' || this.op === 'TrueDivide');
      return OPS[this.op](...args);
    }
    return OPS[this.op](this.op === 'Concatenate' ? xs : xs[0], this.a);
  }
  computeOutputShape(inputShape) {
    const shapes = Array.isArray(inputShape[0]) || inputShape.length === 0 ? inputShape : [inputShape];
    // The op run on zeros of the input shapes: an unknown batch taken as 2 (1 would vanish in a squeeze), other
    // unknown dimensions as 1; an unknown batch stays unknown.
    const probe = (s) => tf.zeros(s.map((d, i) => (d != null ? d : i === 0 ? 2 : 1)));
    const out = tf.tidy(() => this.compute(shapes.map(probe)).shape);
    if (shapes.some((s) => s[0] == null)) out[0] = null;
    return out;
  }
  call(inputs) {
    return tf.tidy(() => this.compute(Array.isArray(inputs) ? inputs : [inputs]));
  }
  getConfig() {
    return {...super.getConfig(), op: this.op, args: this.a};
  }
}
KerasOp.className = 'KerasOp';
tf.serialization.registerClass(KerasOp);

module.exports = {OPS, KerasOp};
