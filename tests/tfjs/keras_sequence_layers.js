// Keras 3's sequence layers that tfjs-layers (4.22, node bundle) lacks or computes otherwise, for the oracle
// harness run_tfjs.js: each written from Keras's source with tfjs-core ops and registered under the class
// name adapt() gives it there.
'use strict';
const tf = require('@tensorflow/tfjs-core');
const tfl = require('@tensorflow/tfjs-layers');

// Keras 3's GRU with reset_after=True (its default; keras/src/layers/rnn/gru.py, GRUCell.call), which
// tfjs-layers refuses: tfjs's own RNN loop (go_backwards, return_sequences, return_state, initial states)
// around a cell written from Keras's source with tfjs-core ops. The bias is (2, 3 * units): input biases, then
// recurrent biases; the reset gate multiplies the recurrent projection, bias included.
const TfjsGRU = tfl.layers.gru({units: 1}).constructor;
const TfjsGRUCell = tfl.layers.gruCell({units: 1}).constructor;
class ResetAfterGRUCell extends TfjsGRUCell {
  build(inputShape) {
    const features = inputShape[inputShape.length - 1];
    const glorot = tfl.initializers.glorotUniform({});
    this.kernel = this.addWeight('kernel', [features, 3 * this.units], null, glorot);
    this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, 3 * this.units], null, glorot);
    this.bias = this.useBias ? this.addWeight('bias', [2, 3 * this.units], null, tfl.initializers.zeros()) : null;
    this.built = true;
  }
  call(inputs) {
    return tf.tidy(() => {
      const [x, hPrev] = inputs;
      let matrixX = tf.matMul(x, this.kernel.read());
      let matrixInner = tf.matMul(hPrev, this.recurrentKernel.read());
      if (this.useBias) {
        const [inputBias, recurrentBias] = tf.unstack(this.bias.read());
        matrixX = tf.add(matrixX, inputBias);
        matrixInner = tf.add(matrixInner, recurrentBias);
      }
      const [xZ, xR, xH] = tf.split(matrixX, 3, 1);
      const [rZ, rR, rH] = tf.split(matrixInner, 3, 1);
      const z = this.recurrentActivation.apply(tf.add(xZ, rZ));
      const r = this.recurrentActivation.apply(tf.add(xR, rR));
      const hh = this.activation.apply(tf.add(xH, tf.mul(r, rH)));
      const h = tf.add(tf.mul(z, hPrev), tf.mul(tf.sub(1, z), hh));
      return [h, h];
    });
  }
}
class KerasGRU extends TfjsGRU {
  constructor(args) {
    super({...args, resetAfter: false});
    this.cell = new ResetAfterGRUCell({...args, resetAfter: false});
  }
}
KerasGRU.className = 'KerasGRU';
tf.serialization.registerClass(KerasGRU);

// Keras 3's MultiHeadAttention (keras/src/layers/attention/multi_head_attention.py, its non-fused path), which
// the tfjs-layers node bundle lacks: EinsumDense projections, the query scaled by 1/sqrt(key_dim), scores
// einsum'd per head, Keras's Softmax mask (masked scores plus -1e9: the attention mask cast to bool, and with
// use_causal_mask the lower triangle), the weighted values and the output projection, in tfjs-core ops. The
// node's distinct tensors arrive as inputs; strataCall.slots says which is the query, value, key and
// attention_mask (adapt() in run_tfjs.js). (tfjs hands a layer its config with camelCase keys.)
class KerasMultiHeadAttention extends tfl.layers.Layer {
  constructor(config) {
    super({name: config.name});
    this.c = config;
  }
  computeOutputShape(shapes) {
    const {slots} = this.c.strataCall;
    shapes = Array.isArray(shapes[0]) ? shapes : [shapes];  // one distinct input: its shape alone
    const [q, v] = [shapes[slots[0]], shapes[slots[1]]];
    const out = [q[0], q[1], this.c.outputShape == null ? q[2] : this.c.outputShape];
    return this.c.strataCall.scores ? [out, [q[0], this.c.numHeads, q[1], v[1]]] : out;
  }
  build(shapes) {
    const {key, slots} = this.c.strataCall;
    shapes = Array.isArray(shapes[0]) ? shapes : [shapes];
    const [q, v] = [shapes[slots[0]], shapes[slots[1]]];
    const k = key ? shapes[slots[2]] : v;
    const h = this.c.numHeads, kd = this.c.keyDim, vd = this.c.valueDim;
    const out = this.c.outputShape == null ? q[2] : this.c.outputShape;
    const z = tfl.initializers.zeros();
    const dense = (name, kernel, bias) => ({
      kernel: this.addWeight(`${name}/kernel`, kernel, 'float32', z),
      bias: this.c.useBias ? this.addWeight(`${name}/bias`, bias, 'float32', z) : null,
    });
    this.qDense = dense('query', [q[2], h, kd], [h, kd]);
    this.kDense = dense('key', [k[2], h, kd], [h, kd]);
    this.vDense = dense('value', [v[2], h, vd], [h, vd]);
    this.oDense = dense('attention_output', [h, vd, out], [out]);
    this.built = true;
  }
  call(inputs) {
    return tf.tidy(() => {
      const {key, mask, causal, scores: withScores, slots} = this.c.strataCall;
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const [q, v] = [list[slots[0]], list[slots[1]]];
      const k = key ? list[slots[2]] : v;
      const m = mask ? list[slots[3]] : null;
      const project = (x, d) => {
        const y = tf.einsum('abc,cde->abde', x, d.kernel.read());
        return d.bias ? tf.add(y, d.bias.read()) : y;
      };
      const query = tf.mul(project(q, this.qDense), 1.0 / Math.sqrt(this.c.keyDim));
      let scores = tf.einsum('bsnh,btnh->bnts', project(k, this.kDense), query);
      let keep = m == null ? null : tf.expandDims(tf.cast(m, 'bool'), 1);
      // Keras's _compute_attention_mask: the query's mask as (B, T, 1), the value's and key's as (B, 1, S),
      // and-ed (here with the heads axis too).
      const and = (extra) => { keep = keep == null ? extra : tf.logicalAnd(keep, extra); };
      if (slots[4] != null) and(tf.reshape(tf.cast(list[slots[4]], 'bool'), [q.shape[0], 1, q.shape[1], 1]));
      for (const at of [slots[5], slots[6]]) {
        if (at != null) and(tf.reshape(tf.cast(list[at], 'bool'), [q.shape[0], 1, 1, v.shape[1]]));
      }
      if (causal) {
        const [t, s] = [q.shape[1], v.shape[1]];
        const lower = tf.linalg.bandPart(tf.ones([t, s]), -1, 0);
        const c = tf.reshape(tf.cast(lower, 'bool'), [1, 1, t, s]);
        keep = keep == null ? c : tf.logicalAnd(keep, c);
      }
      if (keep != null) scores = tf.add(scores, tf.mul(tf.sub(1, tf.cast(keep, 'float32')), -1e9));
      const probs = tf.softmax(scores);
      const context = tf.einsum('bnts,bsnh->btnh', probs, project(v, this.vDense));
      let out = tf.einsum('abcd,cde->abe', context, this.oDense.kernel.read());
      if (this.oDense.bias) out = tf.add(out, this.oDense.bias.read());
      return withScores ? [out, probs] : out;
    });
  }
}
KerasMultiHeadAttention.className = 'KerasMultiHeadAttention';
tf.serialization.registerClass(KerasMultiHeadAttention);

// Keras 3's Attention and AdditiveAttention (keras/src/layers/attention/attention.py and
// additive_attention.py), which tfjs-layers lacks: the scores (query-key dot product times `scale`;
// "concat": concat_score_weight * sum(tanh(scale * (q + k))); additive: sum(scale * tanh(q + k))), the value
// mask and the causal rule (Keras's cumsum construction) applied as where(not keep, scores - 1e9, scores), the
// softmax, the weighted values and where(query_mask, output, 0). The node's distinct tensors arrive as inputs;
// strataCall.slots says which is the query, value, key, query_mask and value_mask.
class KerasAttention extends tfl.layers.Layer {
  constructor(config) {
    super({name: config.name});
    this.c = config;
  }
  computeOutputShape(shapes) {
    const {slots} = this.c.strataCall;
    shapes = Array.isArray(shapes[0]) ? shapes : [shapes];  // one distinct input: its shape alone
    const [q, v] = [shapes[slots[0]], shapes[slots[1]]];
    const out = [q[0], q[1], v[2]];
    return this.c.strataCall.scores ? [out, [q[0], q[1], v[1]]] : out;
  }
  build(shapes) {
    shapes = Array.isArray(shapes[0]) ? shapes : [shapes];
    const z = tfl.initializers.zeros();
    this.scale = null;
    this.concatScoreWeight = null;
    if (this.c.kind === 'AdditiveAttention') {
      if (this.c.useScale) this.scale = this.addWeight('scale', [shapes[this.c.strataCall.slots[0]][2]], 'float32', z);
    } else {
      if (this.c.useScale) this.scale = this.addWeight('scale', [], 'float32', z);
      if (this.c.scoreMode === 'concat') {
        this.concatScoreWeight = this.addWeight('concat_score_weight', [], 'float32', z);
      }
    }
    this.built = true;
  }
  call(inputs) {
    return tf.tidy(() => {
      const {key, qmask, vmask, causal, scores: withScores, slots} = this.c.strataCall;
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const [q, v] = [list[slots[0]], list[slots[1]]];
      const k = key ? list[slots[2]] : v;
      const qm = qmask ? list[slots[3]] : null;
      const vm = vmask ? list[slots[4]] : null;
      let scores;
      if (this.c.kind === 'AdditiveAttention') {
        const t = tf.tanh(tf.add(tf.expandDims(q, -2), tf.expandDims(k, -3)));
        scores = tf.sum(this.scale ? tf.mul(this.scale.read(), t) : t, -1);
      } else if (this.c.scoreMode === 'dot') {
        scores = tf.matMul(q, k, false, true);
        if (this.scale) scores = tf.mul(scores, this.scale.read());
      } else {
        const s = tf.add(tf.expandDims(q, -2), tf.expandDims(k, -3));
        scores = tf.mul(this.concatScoreWeight.read(),
            tf.sum(tf.tanh(this.scale ? tf.mul(this.scale.read(), s) : s), -1));
      }
      let keep = vm == null ? null : tf.expandDims(tf.cast(vm, 'bool'), -2);
      if (causal) {
        const ones = tf.ones([1, scores.shape[1], scores.shape[2]], 'int32');
        const c = tf.greaterEqual(tf.cumsum(ones, 1), tf.cumsum(ones, 2));
        keep = keep == null ? c : tf.logicalAnd(keep, c);
      }
      if (keep != null) {
        scores = tf.where(tf.logicalNot(tf.broadcastTo(keep, scores.shape)), tf.sub(scores, 1e9), scores);
      }
      const probs = tf.softmax(scores);
      let out = tf.matMul(probs, v);
      if (qm != null) {
        const rows = tf.broadcastTo(tf.expandDims(tf.cast(qm, 'bool'), -1), out.shape);
        out = tf.where(rows, out, tf.zerosLike(out));
      }
      return withScores ? [out, probs] : out;
    });
  }
}
KerasAttention.className = 'KerasAttention';
tf.serialization.registerClass(KerasAttention);

// Keras 3's Dot with normalize=True: Keras normalizes with x * rsqrt(max(sum(x^2), 1e-14)) (ops.normalize,
// epsilon 1e-7 squared), tfjs-layers with x / sqrt(max(sum(x^2), 1e-7)), which differs for vectors shorter
// than 3e-4. The inputs are normalized Keras's way, then tfjs's own Dot takes them unnormalized.
const TfjsDot = tfl.layers.dot({axes: 1}).constructor;
class KerasDot extends TfjsDot {
  constructor(args) {
    super({...args, normalize: false});
    this.kerasNormalize = !!args.normalize;
  }
  mergeFunction(inputs) {
    if (!this.kerasNormalize) return super.mergeFunction(inputs);
    const axes = Array.isArray(this.axes) ? this.axes : [this.axes, this.axes];
    const normed = inputs.map((x, i) => tf.tidy(() => {
      const a = axes[i] < 0 ? axes[i] + x.rank : axes[i];
      return tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), a, true), 1e-14)));
    }));
    return super.mergeFunction(normed);
  }
}
KerasDot.className = 'KerasDot';
tf.serialization.registerClass(KerasDot);

module.exports = {KerasGRU, KerasMultiHeadAttention, KerasAttention, KerasDot};
