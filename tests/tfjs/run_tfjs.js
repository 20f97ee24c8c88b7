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
// - Conv2D `groups` > 1: tfjs ignores the argument (it would convolve every input channel); such a layer runs
//   as KerasGroupedConv2D (keras_layers.js): one tfjs-core conv2d per group, concatenated.
// - GlobalAveragePooling1D/2D and GlobalMaxPooling1D/2D `keepdims`: tfjs ignores it, so with it true (channels
//   last) the layer runs as keras_ops.js's Mean or Max op over the spatial axes with keepdims.
// - DepthwiseConv2D `dilation_rate`: tfjs's layer passes no dilation to its kernel ("TODO(cais): Add support
//   for dilation" in tfjs-layers' DepthwiseConv2D.call): refused unless (1, 1). Found by the random graphs.
// - Conv1D `groups` > 1: ignored by tfjs (refused); `padding: "causal"`: tfjs throws NotImplementedError
//   (refused; test_keras_conv1d_outputs checks it against outputs Keras computed).
// - Conv2DTranspose: tfjs's layer ignores `dilation_rate` and `output_padding`, and tfjs has no
//   Conv1DTranspose. Both classes run instead as KerasConvTranspose (keras_layers.js): tfjs-core's own transposed
//   convolution kernel (conv2dTranspose), given the padding Keras 3 computes (its JAX backend's rule, written
//   here from Keras's source, not from strata's), a kernel dilated with zeros between its taps, and a 1D input
//   viewed as one row. Dilated ones with non-finite inputs are refused (the zero taps would spread NaN).
// - Subtract and SpatialDropout2D: no tfjs class (refused by tfjs itself).
// - UpSampling2D interpolation "bilinear", Resizing and CenterCrop: tfjs resizes with align-corners (Resizing
//   without crop_to_aspect_ratio) or without half-pixel centres, and crops differently; Keras 3 resizes as
//   TensorFlow's tf.image.resize (half-pixel centres). All three run as KerasResize (keras_layers.js): Keras's crop windows
//   and pad_to_aspect_ratio's fill written from its source, then tfjs-core's resizeBilinear / resizeNearestNeighbor with halfPixelCenters.
// - GroupNormalization: no tfjs class; KerasGroupNormalization (keras_layers.js) is Keras 3's call in tfjs-core ops.
// - Attention and AdditiveAttention: not in tfjs-layers; KerasAttention (keras_sequence_layers.js) is Keras 3's
//   call in tfjs-core ops, its mask keyword turned into inputs.
// - Dot with normalize=True: tfjs clamps the squared norm at 1e-7, Keras 3 at 1e-14; KerasDot normalizes
//   Keras's way, then runs tfjs's own Dot. tfjs's Dot takes ranks up to 3 only (it throws beyond).
// - EinsumDense: not in tfjs-layers; KerasEinsumDense (keras_layers.js) runs Keras's equation in tfjs-core's einsum.
// - LayerScale (ConvNeXt's, defined in keras.src.applications.convnext) and CustomScaleLayer
//   (InceptionResNetV2's): not Keras layers tfjs has; KerasLayerScale and KerasCustomScaleLayer (keras_layers.js).
// - CategoryEncoding "one_hot": tfjs's layer takes (batch, 1) only (output rank 2 at most); KerasOneHot (keras_layers.js)
//   is Keras's encoding with tfjs-core's oneHot. "multi_hot" and "count" run in tfjs's own layer, given a copy
//   of its input shape (its computeOutputShape overwrites the input layer's).
// - MultiHeadAttention: not in tfjs-layers' node bundle; KerasMultiHeadAttention (keras_sequence_layers.js) is Keras 3's call in
//   tfjs-core ops (einsum), its keyword tensors turned into inputs.
// - GRU with reset_after=True (Keras 3's default): tfjs throws; KerasGRU (keras_sequence_layers.js) runs Keras 3's cell in tfjs's
//   own RNN loop. LSTM and GRU recurrent_activation "hard_sigmoid": tfjs's is Keras 2's (refused).
// - Normalization: tfjs-layers has no such class. It runs as KerasNormalization (keras_layers.js), Keras 3's call written
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
const {Unsupported, ACTIVATIONS} = require('./keras_layers');  // registers the Keras* image layers
const {OPS} = require('./keras_ops');  // registers KerasOp
require('./keras_sequence_layers');  // registers KerasGRU, KerasMultiHeadAttention, KerasAttention, KerasDot

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
      if (c.groups !== 1) {
        if (!Object.prototype.hasOwnProperty.call(ACTIVATIONS, c.activation)) refuse(layer, `the harness's grouped convolution has no ${c.activation}`);
        layer.class_name = 'KerasGroupedConv2D';
        break;
      }
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
    case 'LayerScale':
      layer.class_name = 'KerasLayerScale';
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
      if (!Object.prototype.hasOwnProperty.call(ACTIVATIONS, c.activation)) refuse(layer, `the harness's transposed convolution has no ${c.activation}`);
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
      if (!Object.prototype.hasOwnProperty.call(ACTIVATIONS, c.activation)) refuse(layer, `the harness's EinsumDense has no ${c.activation}`);
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
