// Keras 3 layers that tfjs-layers (4.22, node bundle) lacks or computes otherwise, other than the sequence
// layers (keras_sequence_layers.js), for the oracle harness run_tfjs.js: each written from Keras's source with
// tfjs-core ops and registered under the class name adapt() gives it there.
'use strict';
const tf = require('@tensorflow/tfjs-core');
const tfl = require('@tensorflow/tfjs-layers');

// What the harness refuses (run_tfjs.js writes refused.txt): a model tfjs would compute unlike Keras.
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

// Keras 3's Conv2D with groups > 1 (keras/src/ops/nn.py conv: feature_group_count), which tfjs-layers ignores:
// the input's channels and the kernel's filters split into `groups` equal parts, each part convolved by
// tfjs-core's conv2d with its own filters, the results concatenated in group order, then bias and activation.
// The kernel is Keras's (kh, kw, channels / groups, filters).
class KerasGroupedConv2D extends tfl.layers.Layer {
  constructor(config) {
    super({name: config.name});
    this.c = config;
  }
  build(inputShape) {
    const c = this.c;
    const channels = inputShape[inputShape.length - 1];
    const zeros = tfl.initializers.zeros();
    this.kernel = this.addWeight('kernel', [...c.kernelSize, channels / c.groups, c.filters], 'float32', zeros);
    if (c.useBias) this.bias = this.addWeight('bias', [c.filters], 'float32', zeros);
    this.built = true;
  }
  computeOutputShape(inputShape) {
    const c = this.c;
    const size = (n, a) => {
      if (n == null) return null;
      const k = c.dilationRate[a] * (c.kernelSize[a] - 1) + 1;
      return c.padding === 'same' ? Math.ceil(n / c.strides[a]) : Math.floor((n - k) / c.strides[a]) + 1;
    };
    return [inputShape[0], size(inputShape[1], 0), size(inputShape[2], 1), c.filters];
  }
  call(inputs) {
    return tf.tidy(() => {
      const c = this.c;
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const xs = tf.split(x, c.groups, 3);
      const ks = tf.split(this.kernel.read(), c.groups, 3);
      const parts = xs.map((part, g) => tf.conv2d(part, ks[g], c.strides, c.padding, 'NHWC', c.dilationRate));
      let y = parts.length === 1 ? parts[0] : tf.concat(parts, 3);
      if (c.useBias) y = tf.add(y, this.bias.read());
      return ACTIVATIONS[c.activation](y);
    });
  }
}
KerasGroupedConv2D.className = 'KerasGroupedConv2D';
tf.serialization.registerClass(KerasGroupedConv2D);

// ConvNeXt's LayerScale (keras/src/applications/convnext.py): x * gamma, gamma of shape (projection_dim,).
class KerasLayerScale extends tfl.layers.Layer {
  constructor(config) {
    super({name: config.name});
    this.projectionDim = config.projectionDim;  // tfjs has camelCased Keras's keys
  }
  build() {
    this.gamma = this.addWeight('gamma', [this.projectionDim], 'float32', tfl.initializers.zeros());
    this.built = true;
  }
  call(inputs) {
    return tf.tidy(() => tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, this.gamma.read()));
  }
}
KerasLayerScale.className = 'KerasLayerScale';
tf.serialization.registerClass(KerasLayerScale);

module.exports = {Unsupported, ACTIVATIONS};
