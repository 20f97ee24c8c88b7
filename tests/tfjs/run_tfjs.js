// Runs a model in TensorFlow.js's Layers API (tfjs-layers 4.22 on the pure JavaScript CPU backend), the
// independent oracle of strata's numeric tests (tests/unit/tfjs_oracle.cpp writes the files, see there).
//
//   node tests/tfjs/run_tfjs.js DIR...
//
// Each DIR is one case (one process runs many: loading tfjs takes half a second):
// DIR/model.json   {"class_name", "config"}: the model's Keras config as strata writes it (Keras 3's layer
//                  keys, Keras 2's list form of inbound nodes)
// DIR/weights.json [{"layer": [names], "shapes"}]: each layer's weights in Keras's order, the layer found by
//                  its path of names (a nested model's layers under the model's name; tfjs orders a nested
//                  model's own weights trainable first); DIR/weights.bin their float32 values
// DIR/inputs.json  [shape, ...]; DIR/inputs.bin the float32 inputs
// writes DIR/outputs.json ([shape, ...]) and DIR/outputs.bin, or DIR/refused.txt saying why when the model uses
// something tfjs computes differently from Keras 3 (listed below) or does not have. Exit code 1 on any other
// failure.
//
// Where tfjs-layers 4.22 differs from Keras 3 (found in both sources; each is refused, never run, so no test
// passes on a silently different oracle):
// - InputLayer: tfjs reads Keras 2's `batch_input_shape`, Keras 3 writes `batch_shape` (renamed here).
// - LeakyReLU: tfjs reads Keras 2's `alpha`, Keras 3 writes `negative_slope` (renamed here).
// - ReLU layer: tfjs has only `max_value`; a non-zero `negative_slope` or `threshold` is refused.
// - activation "hard_sigmoid": tfjs computes Keras 2's clip(0.2 x + 0.5, 0, 1), Keras 3 relu6(x + 3) / 6:
//   refused. "silu" is tfjs's "swish" (the same x * sigmoid(x)); "leaky_relu" is unknown to tfjs: refused.
//   "hard_silu" (Keras 3's hard_swish) is unknown to tfjs: an Activation layer of it runs as keras_ops.js's
//   HardSilu op (x * relu6(x + 3) / 6, tfjs-core's kernels); another layer's activation of it is refused.
//   "gelu" is the exact erf form in both.
// - Conv2D `groups` > 1: tfjs ignores the argument (it would convolve every input channel): refused.
// - GlobalAveragePooling1D/2D and GlobalMaxPooling1D/2D `keepdims`: tfjs ignores it, so with it true (channels
//   last) the layer runs as keras_ops.js's Mean or Max op over the spatial axes with keepdims.
// - DepthwiseConv2D `dilation_rate`: tfjs's layer passes no dilation to its kernel ("TODO(cais): Add support
//   for dilation" in tfjs-layers' DepthwiseConv2D.call): refused unless (1, 1). Found by the random graphs.
// - Conv1D `groups` > 1: ignored by tfjs (refused); `padding: "causal"`: tfjs throws NotImplementedError
//   (refused; test_keras_conv1d_outputs checks it against outputs Keras computed).
// - Conv2DTranspose: tfjs's layer ignores `dilation_rate` and `output_padding`, and tfjs has no
//   Conv1DTranspose. Both classes run instead as KerasConvTranspose below: tfjs-core's own transposed
//   convolution kernel (conv2dTranspose), given the padding Keras 3 computes (its JAX backend's rule, written
//   here from Keras's source, not from strata's), a kernel dilated with zeros between its taps, and a 1D input
//   viewed as one row. Dilated ones with non-finite inputs are refused (the zero taps would spread NaN).
// - Subtract and SpatialDropout2D: no tfjs class (refused by tfjs itself).
// - UpSampling2D interpolation "bilinear", Resizing and CenterCrop: tfjs resizes with align-corners (Resizing
//   without crop_to_aspect_ratio) or without half-pixel centres, and crops differently; Keras 3 resizes as
//   TensorFlow's tf.image.resize (half-pixel centres). All three run as KerasResize below: Keras's crop windows
//   and pad_to_aspect_ratio's fill written from its source, then tfjs-core's resizeBilinear / resizeNearestNeighbor with halfPixelCenters.
// - GroupNormalization: no tfjs class; KerasGroupNormalization below is Keras 3's call in tfjs-core ops.
// - Attention and AdditiveAttention: not in tfjs-layers; KerasAttention (keras_sequence_layers.js) is Keras 3's
//   call in tfjs-core ops, its mask keyword turned into inputs.
// - Dot with normalize=True: tfjs clamps the squared norm at 1e-7, Keras 3 at 1e-14; KerasDot normalizes
//   Keras's way, then runs tfjs's own Dot. tfjs's Dot takes ranks up to 3 only (it throws beyond).
// - EinsumDense: not in tfjs-layers; KerasEinsumDense below runs Keras's equation in tfjs-core's einsum.
// - CategoryEncoding "one_hot": tfjs's layer takes (batch, 1) only (output rank 2 at most); KerasOneHot below
//   is Keras's encoding with tfjs-core's oneHot. "multi_hot" and "count" run in tfjs's own layer, given a copy
//   of its input shape (its computeOutputShape overwrites the input layer's).
// - MultiHeadAttention: not in tfjs-layers' node bundle; KerasMultiHeadAttention below is Keras 3's call in
//   tfjs-core ops (einsum), its keyword tensors turned into inputs.
// - GRU with reset_after=True (Keras 3's default): tfjs throws; KerasGRU below runs Keras 3's cell in tfjs's
//   own RNN loop. LSTM and GRU recurrent_activation "hard_sigmoid": tfjs's is Keras 2's (refused).
// - Normalization: tfjs-layers has no such class. It runs as KerasNormalization below, Keras 3's call written
//   from its source with tfjs-core ops: (x - mean) / maximum(sqrt(variance), 1e-7), or the inverse; statistics
//   from the config (one number, or row-major over the last kept axes) or the weights mean, variance, count.
// - Softmax over an axis other than the last: tfjs-core has none ("not yet supported"); the harness moves the
//   axis last, applies tfjs-core's softmax (or logSoftmax) and moves it back. Activation "log_softmax" is tfjs's
//   "logSoftmax".
// - Keras 3's operations (entries of module keras.src.ops.*: `x + y`, keras.ops.mean, ...): tfjs-layers has no
//   such classes. They run as KerasOp (keras_ops.js): each op by tfjs-core's own kernel of the same name and numpy
//   broadcasting, with the numbers of a call (`x + 3.0`) from the node's keyword arguments, the operands
//   first converted to Keras's result type (tfjs-core would make `int32 + 3` a float32; tfjs has no int64). (matMul's own
//   broadcasting of a leading axis of 1 is wrong in tfjs-core 4.22: the operands are tiled first.)
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfl = require('@tensorflow/tfjs-layers');

class Unsupported extends Error {}

// Keras 3's padding of a transposed convolution along one axis (keras/src/backend/common/backend_utils.py,
// _convert_conv_transpose_padding_args_from_keras_to_jax): the zeros before and after the stride-dilated
// input, which the flipped kernel then slides over. `kernel` is the dilated size d*(k-1)+1.
function kerasTransposePadding(kernel, stride, padding, outputPadding) {
  if (padding === 'valid') {
    const extra = outputPadding == null ? Math.max(kernel, stride) - kernel : outputPadding;
    return [kernel - 1, kernel - 1 + extra];
  }
  const padLen = outputPadding == null ? stride + kernel - 2 : kernel + (kernel % 2) - 2 + outputPadding;
  const left = Math.min(Math.floor(padLen / 2) + (padLen % 2), kernel - 1);
  return [left, padLen - left];
}

const ACTIVATIONS = {
  linear: (x) => x,
  relu: (x) => tf.relu(x),
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
};

// Keras 3's Conv1DTranspose and Conv2DTranspose (channels last), computed by tfjs-core's conv2dTranspose.
class KerasConvTranspose extends tfl.layers.Layer {
  constructor(config) {
    super({name: config.name, trainable: config.trainable});
    this.c = config;  // tfjs has turned Keras's snake_case keys into camelCase
    this.rank = config.kernelSize.length;
  }
  build(inputShape) {
    const c = this.c;
    const zeros = tfl.initializers.zeros();
    this.kernel = this.addWeight('kernel', [...c.kernelSize, c.filters, inputShape[inputShape.length - 1]],
                                 'float32', zeros);
    if (c.useBias) this.bias = this.addWeight('bias', [c.filters], 'float32', zeros);
    this.built = true;
  }
  // Per spatial axis: dilated kernel size, padding before and after, output size.
  axes(inputShape) {
    const c = this.c;
    return c.kernelSize.map((k, a) => {
      const kernel = c.dilationRate[a] * (k - 1) + 1;
      const extra = c.outputPadding == null ? null : c.outputPadding[a];
      const [left, right] = kerasTransposePadding(kernel, c.strides[a], c.padding, extra);
      const size = (inputShape[a + 1] - 1) * c.strides[a] + 1 + left + right - kernel + 1;
      return {kernel, left, right, size};
    });
  }
  computeOutputShape(inputShape) {
    return [inputShape[0], ...this.axes(inputShape).map((a) => a.size), this.c.filters];
  }
  call(inputs) {
    return tf.tidy(() => {
      const c = this.c;
      let x = Array.isArray(inputs) ? inputs[0] : inputs;
      // The zeros put between a dilated kernel's taps meet every input cell, and 0 * NaN is NaN where Keras's
      // dilated kernel never touches the cell: not Keras's result for non-finite inputs.
      if (c.dilationRate.some((d) => d > 1) && !tf.all(tf.isFinite(x)).dataSync()[0]) {
        throw new Unsupported(`tfjs oracle: layer '${this.name}' (KerasConvTranspose): dilation emulated with ` +
                              'zero taps, which turn NaN and infinities into NaN where Keras does not');
      }
      const axes = this.axes(x.shape);
      // The kernel with d - 1 zeros between taps: a dilated transposed convolution is a plain one with it.
      const k = this.kernel.read();
      const dilated = tf.buffer([...axes.map((a) => a.kernel), k.shape[this.rank], k.shape[this.rank + 1]]);
      const src = k.bufferSync();
      const fc = k.shape[this.rank] * k.shape[this.rank + 1];
      for (let i = 0; i < k.size; ++i) {
        const idx = src.indexToLoc(i);
        const at = idx.map((v, a) => (a < this.rank ? v * c.dilationRate[a] : v));
        dilated.set(src.values[i], ...at);
      }
      let w = dilated.toTensor();
      let strides = c.strides;
      // tfjs's kernel takes the padding of the convolution it transposes: kernel - 1 - Keras's.
      let pads = axes.map((a) => [a.kernel - 1 - a.left, a.kernel - 1 - a.right]);
      let outShape = [x.shape[0], ...axes.map((a) => a.size), c.filters];
      if (this.rank === 1) {
        x = tf.expandDims(x, 1);
        w = tf.expandDims(w, 0);
        strides = [1, strides[0]];
        pads = [[0, 0], pads[0]];
        outShape = [outShape[0], 1, outShape[1], outShape[2]];
      }
      let y = tf.conv2dTranspose(x, w, outShape, strides, [[0, 0], ...pads, [0, 0]]);
      if (this.rank === 1) y = tf.squeeze(y, [1]);
      if (c.useBias) y = tf.add(y, this.bias.read());
      return ACTIVATIONS[c.activation](y);
    });
  }
  getConfig() {
    return {...super.getConfig()};
  }
}
KerasConvTranspose.className = 'KerasConvTranspose';
tf.serialization.registerClass(KerasConvTranspose);

const {OPS} = require('./keras_ops');  // registers KerasOp


// Keras 3's UpSampling2D (bilinear), Resizing and CenterCrop (keras/src/layers/preprocessing/image_preprocessing,
// keras/src/backend/tensorflow/image.py resize, keras/src/utils/image_utils.py smart_resize).
class KerasResize extends tfl.layers.Layer {
  constructor(config) {
    super({name: config.name});
    this.c = config;
  }
  // The output (height, width) for an input shape.
  target(shape) {
    const c = this.c;
    if (c.kind === 'UpSampling2D') return [shape[1] * c.size[0], shape[2] * c.size[1]];
    return [c.height, c.width];
  }
  computeOutputShape(inputShape) {
    return [inputShape[0], ...this.target(inputShape), inputShape[3]];
  }
  call(inputs) {
    return tf.tidy(() => {
      const c = this.c;
      let x = Array.isArray(inputs) ? inputs[0] : inputs;
      const [h, w] = [x.shape[1], x.shape[2]];
      const [th, tw] = this.target(x.shape);
      // Keras's centred window of the target's aspect ratio, in Python floats, truncated.
      const aspect = () => {
        const ch = Math.max(Math.min(h, Math.trunc((w * th) / tw)), 1);
        const cw = Math.max(Math.min(w, Math.trunc((h * tw) / th)), 1);
        return [Math.trunc((h - ch) / 2), Math.trunc((w - cw) / 2), ch, cw];
      };
      let method = c.kind === 'Resizing' ? c.interpolation : 'bilinear';
      if (c.kind === 'Resizing' && c.padToAspectRatio) {
        // Keras's TensorFlow backend (keras/src/backend/tensorflow/image.py): the padded size in float32,
        // truncated, then as many rows (or columns) of fill_value concatenated on each side.
        const f = Math.fround;
        const ph = Math.max(h, Math.trunc(f(f(w * th) / tw)));
        const pw = Math.max(w, Math.trunc(f(f(h * tw) / th)));
        const top = Math.trunc(f(ph - h) / 2), left = Math.trunc(f(pw - w) / 2);
        const fill = (rows, cols) => tf.fill([x.shape[0], rows, cols, x.shape[3]], c.fillValue);
        if (top > 0) x = tf.concat([fill(top, w), x, fill(top, w)], 1);
        if (left > 0) x = tf.concat([fill(x.shape[1], left), x, fill(x.shape[1], left)], 2);
      }
      let box = null;
      if (c.kind === 'Resizing' && c.cropToAspectRatio) box = aspect();
      if (c.kind === 'CenterCrop') {
        if (h >= th && w >= tw) return tf.slice(x, [0, Math.floor((h - th) / 2), Math.floor((w - tw) / 2), 0],
                                                [-1, th, tw, -1]);
        box = aspect();
      }
      if (box) x = tf.slice(x, [0, box[0], box[1], 0], [-1, box[2], box[3], -1]);
      return method === 'nearest' ? tf.image.resizeNearestNeighbor(x, [th, tw], false, true) :
                                    tf.image.resizeBilinear(x, [th, tw], false, true);
    });
  }
}
KerasResize.className = 'KerasResize';
tf.serialization.registerClass(KerasResize);

// Keras 3's GroupNormalization (keras/src/layers/normalization/group_normalization.py), channels last: the
// channels split into groups, ops.moments over every axis but the batch and the group, rsqrt(var + epsilon).
class KerasGroupNormalization extends tfl.layers.Layer {
  constructor(config) {
    super({name: config.name});
    this.c = config;
  }
  build(inputShape) {
    const channels = inputShape[inputShape.length - 1];
    if (this.c.scale) this.gamma = this.addWeight('gamma', [channels], 'float32', tfl.initializers.ones());
    if (this.c.center) this.beta = this.addWeight('beta', [channels], 'float32', tfl.initializers.zeros());
    this.built = true;
  }
  call(inputs) {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const channels = x.shape[x.rank - 1];
      const groups = this.c.groups === -1 ? channels : this.c.groups;
      const grouped = tf.reshape(x, [...x.shape.slice(0, -1), groups, channels / groups]);
      const axes = [...Array(grouped.rank).keys()].filter((a) => a !== 0 && a !== grouped.rank - 2);
      const {mean, variance} = tf.moments(grouped, axes, true);
      let inv = tf.rsqrt(tf.add(variance, this.c.epsilon));
      const shape = [...Array(grouped.rank - 2).fill(1), groups, channels / groups];
      if (this.c.scale) inv = tf.mul(inv, tf.reshape(this.gamma.read(), shape));
      let res = tf.mul(tf.neg(mean), inv);
      if (this.c.center) res = tf.add(res, tf.reshape(this.beta.read(), shape));
      return tf.reshape(tf.add(tf.mul(grouped, inv), res), x.shape);
    });
  }
}
KerasGroupNormalization.className = 'KerasGroupNormalization';
tf.serialization.registerClass(KerasGroupNormalization);

require('./keras_sequence_layers');  // registers KerasGRU, KerasMultiHeadAttention, KerasAttention, KerasDot

// Keras 3's Normalization at inference (keras/src/layers/preprocessing/normalization.py).
class KerasNormalization extends tfl.layers.Layer {
  constructor(config) {
    super({name: config.name});
    this.c = config;
  }
  build(inputShape) {
    const nd = inputShape.length;
    this.keep = this.c.axis.map((a) => (a < 0 ? a + nd : a)).sort((a, b) => a - b);
    this.kept = this.keep.map((a) => inputShape[a]);
    if (this.c.mean == null) {
      this.mean = this.addWeight('mean', this.kept, 'float32', tfl.initializers.zeros(), undefined, false);
      this.variance = this.addWeight('variance', this.kept, 'float32', tfl.initializers.ones(), undefined, false);
      this.count = this.addWeight('count', [], 'float32', tfl.initializers.zeros(), undefined, false);
    }
    this.built = true;
  }
  // A statistic broadcast to the input's rank: kept axes keep their size, the others are 1.
  stat(given, weight, rank) {
    const values = tf.reshape(given == null ? weight.read() : tf.tensor(given), [-1]);
    const shape = new Array(rank).fill(1);
    if (values.size > 1) {
      let n = 1;
      for (let i = this.keep.length - 1; i >= 0 && n < values.size; --i) {
        shape[this.keep[i]] = this.kept[i];
        n *= this.kept[i];
      }
    }
    return tf.reshape(values, shape);
  }
  call(inputs) {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const mean = this.stat(this.c.mean, this.mean, x.rank);
      const d = tf.maximum(tf.sqrt(this.stat(this.c.variance, this.variance, x.rank)), 1e-7);
      return this.c.invert ? tf.add(mean, tf.mul(x, d)) : tf.div(tf.sub(x, mean), d);
    });
  }
}
KerasNormalization.className = 'KerasNormalization';
tf.serialization.registerClass(KerasNormalization);

// InceptionResNetV2's CustomScaleLayer (keras/src/applications/inception_resnet_v2.py): inputs[0] +
// inputs[1] * scale.
class KerasCustomScaleLayer extends tfl.layers.Layer {
  constructor(config) {
    super({name: config.name});
    this.scale = config.scale;
  }
  computeOutputShape(inputShape) {
    return inputShape[0];
  }
  call(inputs) {
    return tf.tidy(() => tf.add(inputs[0], tf.mul(inputs[1], this.scale)));
  }
}
KerasCustomScaleLayer.className = 'KerasCustomScaleLayer';
tf.serialization.registerClass(KerasCustomScaleLayer);

// Keras 3's EinsumDense (keras/src/layers/core/einsum_dense.py) by tfjs-core's einsum kernel: `...` spelled
// out as letters the equation does not use (as Keras's _analyze_einsum_string reads it), the kernel's shape
// from the equation, the bias added with numpy broadcasting (its shape lines up with the output's last axes).
class KerasEinsumDense extends tfl.layers.Layer {
  constructor(config) {
    super({name: config.name});
    this.c = config;
  }
  // The equation with `...` spelled out for an input of `shape`, and the output's full shape as Keras builds
  // it: the batch, the axes `...` stands for on the left, output_shape, those on the right.
  spell(shape) {
    const [lhs, out] = this.c.equation.split('->');
    const [inp, kernel] = lhs.split(',');
    const elided = shape.length - inp.replace('...', '').length;
    const free = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('')
        .filter((ch) => !this.c.equation.includes(ch)).slice(0, elided).join('');
    const full = [shape[0]];
    if (inp.startsWith('...')) full.push(...shape.slice(1, elided));
    full.push(...this.c.outputShape);
    if (inp.endsWith('...')) full.push(...shape.slice(shape.length - elided));
    const input = inp.replace('...', free), output = out.replace('...', free);
    const dims = output.split('').map((ch, i) => (input.includes(ch) ? shape[input.indexOf(ch)] : full[i]));
    return {input, kernel, output, dims};
  }
  computeOutputShape(shape) {
    return this.spell(shape).dims;
  }
  build(shape) {
    const {input, kernel, output, dims} = this.spell(shape);
    const z = tfl.initializers.zeros();
    const size = (ch) => (output.includes(ch) ? dims[output.indexOf(ch)] : shape[input.indexOf(ch)]);
    this.kernel = this.addWeight('kernel', kernel.split('').map(size), 'float32', z);
    this.bias = null;
    const axes = this.c.biasAxes;
    if (axes) {
      const first = Math.min(...axes.split('').map((ch) => output.indexOf(ch)));
      const bias = output.slice(first).split('').map((ch, i) => (axes.includes(ch) ? dims[first + i] : 1));
      this.bias = this.addWeight('bias', bias, 'float32', z);
    }
    this.built = true;
  }
  call(inputs) {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const {input, kernel, output} = this.spell(x.shape);
      let y = tf.einsum(`${input},${kernel}->${output}`, x, this.kernel.read());
      if (this.bias) y = tf.add(y, this.bias.read());
      return ACTIVATIONS[this.c.activation](y);
    });
  }
}
KerasEinsumDense.className = 'KerasEinsumDense';
tf.serialization.registerClass(KerasEinsumDense);

// Keras 3's CategoryEncoding with output_mode "one_hot" (utils/numerical_utils.encode_categorical_inputs): a
// trailing axis of 1 dropped, then one_hot over num_tokens (tfjs-core's oneHot, as Keras's tf.one_hot).
class KerasOneHot extends tfl.layers.Layer {
  constructor(config) {
    super({name: config.name});
    this.c = config;
  }
  computeOutputShape(shape) {
    const dims = shape[shape.length - 1] === 1 ? shape.slice(0, -1) : shape.slice();
    dims.push(this.c.numTokens);
    return dims;
  }
  call(inputs) {
    return tf.tidy(() => {
      let x = tf.cast(Array.isArray(inputs) ? inputs[0] : inputs, 'int32');
      if (x.shape[x.rank - 1] === 1) x = tf.squeeze(x, [x.rank - 1]);
      return tf.cast(tf.oneHot(x, this.c.numTokens), 'float32');
    });
  }
}
KerasOneHot.className = 'KerasOneHot';
tf.serialization.registerClass(KerasOneHot);

// tfjs-layers' own CategoryEncoding, whose computeOutputShape writes num_tokens into the shape it is given
// (the input layer's own array, which then refuses the inputs): given a copy here.
const TfjsCategoryEncoding = tfl.layers.categoryEncoding({numTokens: 1}).constructor;
class CopyingCategoryEncoding extends TfjsCategoryEncoding {
  computeOutputShape(shape) {
    return super.computeOutputShape(Array.isArray(shape[0]) ? shape.map((s) => s.slice()) : shape.slice());
  }
}
CopyingCategoryEncoding.className = 'CopyingCategoryEncoding';
tf.serialization.registerClass(CopyingCategoryEncoding);

// A node's tensors each listed once, and the place of each of `refs` (null for an absent one) among them:
// tfjs-layers 4.22 counts a tensor a node takes twice (attention's query and value) as one use, and then
// disposes an intermediate tensor while later layers still need it.
function distinct(refs) {
  const entries = [];
  const slots = refs.map((ref) => {
    if (!ref) return null;
    const at = entries.findIndex((e) => e[0] === ref[0] && e[1] === ref[1] && e[2] === ref[2]);
    if (at >= 0) return at;
    entries.push([ref[0], ref[1], ref[2], {}]);
    return entries.length - 1;
  });
  return {entries, slots};
}

function refuse(layer, what) {
  throw new Unsupported(`tfjs oracle: layer '${layer.config.name}' (${layer.class_name}): ${what}`);
}

// Rewrites one layer's Keras 3 config into what tfjs reads, or refuses it.
function adapt(layer) {
  if (layer.module && layer.module.startsWith('keras.src.ops.')) {
    if (!(layer.class_name in OPS)) refuse(layer, 'the harness has no such op');
    if (layer.class_name === 'Cast' && !['float32', 'int32', 'bool'].includes(layer.config.dtype)) {
      refuse(layer, `tfjs-core has no ${layer.config.dtype}`);
    }
    const {name, ...args} = layer.config;
    layer.config = {name, op: layer.class_name, args};
    layer.class_name = 'KerasOp';
    return;
  }
  const c = layer.config;
  // tfjs has no hard_silu (Keras 3's hard_swish): an Activation layer of it runs as the op of that name.
  if (layer.class_name === 'Activation' && c.activation === 'hard_silu') {
    layer.config = {name: c.name, op: 'HardSilu', args: {}};
    layer.class_name = 'KerasOp';
    return;
  }
  if (c.activation === 'hard_silu') refuse(layer, 'tfjs has no hard_silu activation');
  // Keras 3 writes a layer's dtype as a DTypePolicy object; tfjs reads the name.
  if (c.dtype && typeof c.dtype === 'object') c.dtype = c.dtype.config.name;
  if ('activation' in c) {
    if (c.activation === 'silu') c.activation = 'swish';
    if (c.activation === 'hard_sigmoid')
      refuse(layer, 'tfjs\'s hard_sigmoid is Keras 2\'s 0.2 x + 0.5, not Keras 3\'s');
    if (c.activation === 'leaky_relu') refuse(layer, 'tfjs has no leaky_relu activation');
    if (c.activation === 'log_softmax') c.activation = 'logSoftmax';
  }
  switch (layer.class_name) {
    case 'InputLayer':
      c.batch_input_shape = c.batch_shape;
      delete c.batch_shape;
      break;
    case 'LeakyReLU':
      c.alpha = c.negative_slope;
      delete c.negative_slope;
      break;
    case 'ReLU':
      if (c.negative_slope !== 0 || c.threshold !== 0)
        refuse(layer, 'tfjs ReLU has no negative_slope or threshold');
      delete c.negative_slope;
      delete c.threshold;
      break;
    case 'Conv2D':
      if (c.groups !== 1) refuse(layer, 'tfjs ignores groups');
      delete c.groups;
      break;
    case 'Conv1D':
      if (c.groups !== 1) refuse(layer, 'tfjs ignores groups');
      if (c.padding === 'causal') refuse(layer, 'tfjs has no causal padding');
      delete c.groups;
      break;
    case 'Normalization':
      layer.class_name = 'KerasNormalization';
      break;
    case 'CustomScaleLayer':
      layer.class_name = 'KerasCustomScaleLayer';
      break;
    case 'SimpleRNN':
    case 'GRU':
    case 'LSTM':
      if (c.recurrent_activation === 'hard_sigmoid')
        refuse(layer, 'tfjs\'s hard_sigmoid is Keras 2\'s 0.2 x + 0.5, not Keras 3\'s');
      if (c.recurrent_activation === 'silu') c.recurrent_activation = 'swish';
      // strata's name for Keras 2's clip(0.2 x + 0.5, 0, 1), which is tfjs's hardSigmoid.
      for (const key of ['activation', 'recurrent_activation'])
        if (c[key] === 'keras2_hard_sigmoid') c[key] = 'hardSigmoid';
      // Keras 3's keys that tfjs does not read: seed and use_cudnn change nothing at inference; tfjs has no
      // zero_output_for_mask (a masked test that sets it zeros tfjs's masked steps itself).
      for (const key of ['zero_output_for_mask', 'seed', 'use_cudnn']) delete c[key];
      // tfjs-layers 4.22's Orthogonal initializer fails on the pure JavaScript backend ("rMat.flatten is not a
      // function"); the weights are set from strata's anyway.
      c.recurrent_initializer = 'zeros';
      if (layer.class_name === 'GRU') {
        if (c.reset_after) layer.class_name = 'KerasGRU';
        delete c.reset_after;
      }
      break;
    case 'GroupNormalization':
      layer.class_name = 'KerasGroupNormalization';
      break;
    case 'UpSampling2D':
      if (c.interpolation !== 'bilinear') break;
      c.kind = layer.class_name;
      layer.class_name = 'KerasResize';
      break;
    case 'Resizing':
    case 'CenterCrop':
      if (c.antialias) refuse(layer, 'the harness has no antialiased resize');
      c.kind = layer.class_name;
      layer.class_name = 'KerasResize';
      break;
    case 'Softmax':
      // tfjs-core's softmax takes the last axis only: another one runs as the op, moved to the end and back.
      if (c.axis !== -1) {
        layer.config = {name: c.name, op: 'Softmax', args: {axis: c.axis}};
        layer.class_name = 'KerasOp';
      }
      break;
    case 'LayerNormalization':
      delete c.rms_scaling;  // Keras 3's deprecated flag, always false here
      break;
    case 'Conv1DTranspose':
    case 'Conv2DTranspose':
      if (!(c.activation in ACTIVATIONS)) refuse(layer, `the harness's transposed convolution has no ${c.activation}`);
      layer.class_name = 'KerasConvTranspose';
      break;
    case 'DepthwiseConv2D':
      if (c.dilation_rate.some((d) => d !== 1)) refuse(layer, 'tfjs ignores dilation_rate in DepthwiseConv2D');
      break;
    case 'GlobalAveragePooling1D':
    case 'GlobalMaxPooling1D':
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      if (c.keepdims) {
        // tfjs ignores keepdims: the pooling runs as the Mean or Max op over the spatial axes, keeping them.
        if (c.data_format !== 'channels_last') refuse(layer, 'tfjs ignores keepdims');
        const axis = layer.class_name.endsWith('1D') ? [1] : [1, 2];
        const op = layer.class_name.startsWith('GlobalAverage') ? 'Mean' : 'Max';
        layer.config = {name: c.name, op, args: {axis, keepdims: true}};
        layer.class_name = 'KerasOp';
        return;
      }
      delete c.keepdims;
      break;
    case 'MultiHeadAttention': {
      if (c.use_gate || c.sliding_window != null || c.attention_axes != null) refuse(layer, 'the harness has no gate, window or axes');
      // Keras's node passes value, key and attention_mask as keyword tensors; tfjs resolves only listed
      // inputs, so they become inputs in a fixed order, and the call's flags go to the layer.
      let call = null;
      layer.inbound_nodes = layer.inbound_nodes.map((node) => {
        const [name, index, tensor, kwargs] = node[0];
        const {entries, slots} = distinct([[name, index, tensor], kwargs.value, kwargs.key, kwargs.attention_mask,
          kwargs.query_mask, kwargs.value_mask, kwargs.key_mask]);
        call = {key: !!kwargs.key, mask: !!kwargs.attention_mask, causal: !!kwargs.use_causal_mask,
          scores: !!kwargs.return_attention_scores, slots};
        return entries;
      });
      c.strata_call = call;
      layer.class_name = 'KerasMultiHeadAttention';
      break;
    }
    case 'Attention':
    case 'AdditiveAttention': {
      // The node lists query, value and key, and passes mask=[query_mask, value_mask] (None where absent)
      // as a keyword; the masks become inputs after them, and the call's flags go to the layer.
      let call = null;
      layer.inbound_nodes = layer.inbound_nodes.map((node) => {
        const kwargs = node[node.length - 1][3] || {};
        const [qm, vm] = kwargs.mask || [null, null];
        const refs = node.map(([name, index, tensor]) => [name, index, tensor]);
        const {entries, slots} = distinct([refs[0], refs[1], refs[2], qm, vm]);
        call = {key: node.length === 3, qmask: !!qm, vmask: !!vm, causal: !!kwargs.use_causal_mask,
          scores: !!kwargs.return_attention_scores, slots};
        return entries;
      });
      c.strata_call = call;
      c.kind = layer.class_name;
      layer.class_name = 'KerasAttention';
      break;
    }
    case 'Dot':
      layer.class_name = 'KerasDot';
      break;
    case 'EinsumDense':
      if (!(c.activation in ACTIVATIONS)) refuse(layer, `the harness's EinsumDense has no ${c.activation}`);
      layer.class_name = 'KerasEinsumDense';
      break;
    case 'CategoryEncoding':
      if (c.sparse) refuse(layer, 'the harness has no sparse outputs');
      delete c.sparse;
      if (c.output_mode === 'one_hot') {
        layer.class_name = 'KerasOneHot';
        break;
      }
      // tfjs spells the modes in camelCase.
      c.output_mode = {multi_hot: 'multiHot', binary: 'multiHot', count: 'count'}[c.output_mode];
      layer.class_name = 'CopyingCategoryEncoding';
      break;
    case 'TimeDistributed':
      adapt(c.layer);
      break;
    case 'Bidirectional':
      // The wrapped layer as tfjs reads it; tfjs makes the backward copy itself, as Keras does.
      adapt(c.layer);
      delete c.backward_layer;
      break;
    case 'Functional':
    case 'Sequential':
      c.layers.forEach(adapt);
      break;
    default:
      break;
  }
}

// Keras's masks as tfjs computes them itself: a node's `mask` keyword (the mask ops Keras 3 records, such
// as Embedding's not_equal) is dropped and so are the ops only masks read, since tfjs-layers propagates masks
// from Embedding(mask_zero) and Masking on its own. Where tfjs's rules differ from Keras 3's, the model is
// refused: tfjs passes a recurrent layer's mask on with return_sequences, Keras 3 does not.
function stripMasks(config) {
  if (!config.output_layers) return;  // a Sequential: no nodes, tfjs makes the masks itself
  const masked = new Set();
  for (const layer of config.layers) {
    for (const node of layer.inbound_nodes || []) {
      for (const entry of node) {
        const kwargs = entry[3];
        if (kwargs && kwargs.mask && !Array.isArray(kwargs.mask[0]) && typeof kwargs.mask[0] === 'string') {
          masked.add(layer.config.name);
          delete kwargs.mask;
        }
      }
    }
  }
  const recurrent = ['SimpleRNN', 'GRU', 'LSTM', 'Bidirectional'];
  const byName = new Map(config.layers.map((l) => [l.config.name, l]));
  for (const layer of config.layers) {
    if (!recurrent.includes(layer.class_name) || masked.has(layer.config.name)) continue;
    for (const node of layer.inbound_nodes || []) {
      const source = byName.get(node[0][0]);
      const inner = source && (source.class_name === 'Bidirectional' ? source.config.layer.config : source.config);
      if (source && masked.has(source.config.name) && recurrent.includes(source.class_name) && inner.return_sequences)
        refuse(layer, 'tfjs passes the mask of the recurrent layer before it on, Keras 3 does not');
    }
  }
  // Drop what nothing reads any more (the mask ops), until nothing changes.
  for (let changed = true; changed;) {
    changed = false;
    const read = new Set(config.output_layers.map((o) => o[0]));
    // Tensors a node reads: its entries and those in its keywords (value, key, the attention masks).
    const refs = (x) => {
      if (!Array.isArray(x)) {
        if (x && typeof x === 'object') Object.values(x).forEach(refs);
        return;
      }
      if (typeof x[0] === 'string' && typeof x[1] === 'number') read.add(x[0]);
      x.forEach(refs);
    };
    for (const layer of config.layers) refs(layer.inbound_nodes || []);
    const kept = config.layers.filter((l) => l.class_name === 'InputLayer' || read.has(l.config.name));
    changed = kept.length !== config.layers.length;
    config.layers = kept;
  }
}

function readFloats(file) {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

async function runCase(dir) {
  const model = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  stripMasks(model.config);
  adapt(model);
  let net;
  try {
    net = await tfl.models.modelFromJSON({
      modelTopology:
          {class_name: model.class_name, config: model.config, keras_version: '3', backend: 'tensorflow'},
    });
  } catch (e) {
    // A Keras class tfjs does not have (Subtract, SpatialDropout2D, ...).
    if (/Unknown layer/.test(e.message)) throw new Unsupported(`tfjs oracle: ${e.message.split('\n')[0]}`);
    throw e;
  }
  const all = readFloats(path.join(dir, 'weights.bin'));
  let at = 0;
  for (const {layer, shapes} of JSON.parse(fs.readFileSync(path.join(dir, 'weights.json'), 'utf8'))) {
    const values = shapes.map((shape) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const t = tf.tensor(all.subarray(at, at + n), shape, 'float32');
      at += n;
      return t;
    });
    layer.reduce((container, name) => container.getLayer(name), net).setWeights(values);
  }
  const input = readFloats(path.join(dir, 'inputs.bin'));
  at = 0;
  const inputs = JSON.parse(fs.readFileSync(path.join(dir, 'inputs.json'), 'utf8')).map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(input.subarray(at, at + n), shape, 'float32');
    at += n;
    return t;
  });
  let outputs = net.predict(inputs.length === 1 ? inputs[0] : inputs);
  if (!Array.isArray(outputs)) outputs = [outputs];
  const shapes = [];
  const chunks = [];
  for (const o of outputs) {
    shapes.push(o.shape);
    // A typed array may be a view into a larger buffer (an output that is an input, a slice of a kernel's
    // result): copy exactly its bytes. tfjs's CPU cast from int32 or bool to float32 keeps the integer array
    // under the float32 dtype, so the values are converted to float32 first.
    const raw = await o.data();
    const data = raw instanceof Float32Array ? raw : Float32Array.from(raw);
    chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  fs.writeFileSync(path.join(dir, 'outputs.bin'), Buffer.concat(chunks));
  fs.writeFileSync(path.join(dir, 'outputs.json'), JSON.stringify(shapes));
}

async function main() {
  await tf.setBackend('cpu');
  for (const dir of process.argv.slice(2)) {
    try {
      await runCase(dir);
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      fs.writeFileSync(path.join(dir, 'refused.txt'), e.message);
    }
  }
}

// tfjs prints a hint about its native backend on first use; strata's tests want only results and errors.
console.log = () => {};
main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
