#!/usr/bin/env python3
"""Writes .keras archives as Keras 3 saves them, with outputs computed here in NumPy (an oracle outside
strata), for tests/unit/test_keras_archives.cpp. Run with Debian's Python (h5py, numpy):

    /usr/bin/python3 tests/data/keras3_archives/make_keras3_archives.py tests/data/keras3_archives

Keras 3 itself is not used (it is not packaged in Debian 12); the layout follows its saving code:
- keras/src/saving/saving_lib.py, `_save_model_to_fileobj`: a zip written by `zipfile.ZipFile(f, "w")`
  (entries stored, not deflated) holding `metadata.json` ({"keras_version", "date_saved"}), `config.json`
  (`serialize_keras_object(model)`) and `model.weights.h5`;
- saving_lib.py, `_save_state` and `_walk_saveable`, and `H5IOStore.make`: the model's own `vars` group,
  then `layers/<snake_case class name>[_N]/vars/<i>` per layer of `model.layers` (an InputLayer included in
  a functional model, left out of a Sequential's), a nested model's layers below its own path, an RNN's
  weights under its `cell`;
- keras/src/models/functional.py, `get_config` and `serialize_node`: layer entries with `name` and
  `inbound_nodes` of {"args", "kwargs"} holding `__keras_tensor__` objects, `input_layers`/`output_layers`;
- keras/src/models/sequential.py, `get_config`: `layers` (InputLayer first) and `build_input_shape`;
- each layer's `get_config` (keras/src/layers/...), with `DTypePolicy` objects and serialized initializers.
"""
import io
import json
import os
import sys
import zipfile

import h5py
import numpy as np

POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def initializer(name, **config):
    return {"module": "keras.initializers", "class_name": name, "config": config, "registered_name": None}


def base(name):
    return {"name": name, "trainable": True, "dtype": POLICY}


def tensor(layer, shape, node=0, index=0):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": shape, "dtype": "float32", "keras_history": [layer, node, index]}}


def node(*args):
    return {"args": list(args), "kwargs": {}}


def entry(class_name, config, input_shape=None, nodes=None, module="keras.layers"):
    e = {"module": module, "class_name": class_name, "config": config, "registered_name": None}
    if input_shape is not None:
        e["build_config"] = {"input_shape": input_shape}
    if nodes is not None:
        e["name"] = config["name"]
        e["inbound_nodes"] = nodes
    return e


def input_layer(name, batch_shape, functional=True):
    config = {"batch_shape": batch_shape, "dtype": "float32", "sparse": False, "name": name}
    return entry("InputLayer", config, nodes=[] if functional else None)


def regularized(config):
    for key in ("kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                "bias_constraint"):
        config[key] = None
    return config


def dense(name, units, activation, input_shape, nodes=None):
    config = dict(base(name), units=units, activation=activation, use_bias=True,
                  kernel_initializer=initializer("GlorotUniform", seed=None),
                  bias_initializer=initializer("Zeros"))
    return entry("Dense", regularized(config), input_shape, nodes)


def entry_info(name):
    """A stored entry with a fixed time, so that the archives are the same bytes on every run."""
    return zipfile.ZipInfo(name, date_time=(2026, 12, 6, 0, 0, 0))


def save(path, config, weights):
    """`weights`: (group path, [arrays]) in the order _save_state visits them; empty lists make empty groups."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        h5.create_group("vars")
        for group, arrays in weights:
            g = h5.create_group(group + "/vars")
            for i, a in enumerate(arrays):
                g.create_dataset(str(i), data=np.asarray(a, dtype=np.float32))
    metadata = {"keras_version": "3.6.0", "date_saved": "2026-12-06@07:40:00"}
    with zipfile.ZipFile(path, "w") as zf:  # ZIP_STORED, as Keras
        zf.writestr(entry_info("metadata.json"), json.dumps(metadata))
        zf.writestr(entry_info("config.json"), json.dumps(config))
        zf.writestr(entry_info("model.weights.h5"), buffer.getvalue())


def conv2d_same(x, kernel, bias):
    n, h, w, _ = x.shape
    kh, kw, _, f = kernel.shape
    padded = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    out = np.zeros((n, h, w, f), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            out += np.einsum("nhwc,cf->nhwf", padded[:, i:i + h, j:j + w, :], kernel[i, j])
    return out + bias


def relu(x):
    return np.maximum(x, 0.0)


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def functional_cnn(rng):
    """image -> Conv2D(relu) -> BatchNormalization -> GlobalAveragePooling2D -> nested Sequential head
    (Dense relu) -> Dense softmax; the head's output is also a second model output."""
    k = rng.uniform(-0.5, 0.5, (3, 3, 2, 3)).astype(np.float32)
    kb = rng.uniform(-0.1, 0.1, 3).astype(np.float32)
    gamma, beta = rng.uniform(0.5, 1.5, 3).astype(np.float32), rng.uniform(-0.2, 0.2, 3).astype(np.float32)
    mean, var = rng.uniform(-0.2, 0.2, 3).astype(np.float32), rng.uniform(0.5, 1.5, 3).astype(np.float32)
    w1, b1 = rng.uniform(-0.7, 0.7, (3, 5)).astype(np.float32), rng.uniform(-0.1, 0.1, 5).astype(np.float32)
    w2, b2 = rng.uniform(-0.7, 0.7, (5, 4)).astype(np.float32), rng.uniform(-0.1, 0.1, 4).astype(np.float32)

    conv = regularized(dict(base("conv"), filters=3, kernel_size=[3, 3], strides=[1, 1], padding="same",
                            data_format="channels_last", dilation_rate=[1, 1], groups=1, activation="relu",
                            use_bias=True, kernel_initializer=initializer("GlorotUniform", seed=None),
                            bias_initializer=initializer("Zeros")))
    bn = dict(base("bn"), axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True,
              beta_initializer=initializer("Zeros"), gamma_initializer=initializer("Ones"),
              moving_mean_initializer=initializer("Zeros"), moving_variance_initializer=initializer("Ones"),
              beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
              synchronized=False)
    gap = dict(base("gap"), data_format="channels_last", keepdims=False)
    head = entry("Sequential", dict(base("head"), layers=[input_layer("head_input", [None, 3], functional=False),
                                                          dense("hidden", 5, "relu", [None, 3])],
                                    build_input_shape=[None, 3]),
                 [None, 3], [node(tensor("gap", [None, 3]))], module="keras")
    head["registered_name"] = None
    layers = [
        input_layer("image", [None, 6, 6, 2]),
        entry("Conv2D", conv, [None, 6, 6, 2], [node(tensor("image", [None, 6, 6, 2]))]),
        entry("BatchNormalization", bn, [None, 6, 6, 3], [node(tensor("conv", [None, 6, 6, 3]))]),
        entry("GlobalAveragePooling2D", gap, [None, 6, 6, 3], [node(tensor("bn", [None, 6, 6, 3]))]),
        head,
        dense("probs", 4, "softmax", [None, 5], [node(tensor("head", [None, 5]))]),
    ]
    config = {"module": "keras.src.models.functional", "class_name": "Functional",
              "config": {"name": "functional_cnn", "trainable": True, "layers": layers,
                         "input_layers": [["image", 0, 0]], "output_layers": [["probs", 0, 0], ["head", 0, 0]]},
              "registered_name": "Functional", "build_config": {"input_shape": None}, "compile_config": None}
    weights = [("layers/input_layer", []), ("layers/conv2d", [k, kb]), ("layers/batch_normalization",
                                                                       [gamma, beta, mean, var]),
               ("layers/global_average_pooling2d", []), ("layers/sequential", []),
               ("layers/sequential/layers/dense", [w1, b1]), ("layers/dense", [w2, b2])]

    x = rng.uniform(-1, 1, (2, 6, 6, 2)).astype(np.float32)
    h = relu(conv2d_same(x.astype(np.float64), k, kb))
    h = gamma * (h - mean) / np.sqrt(var + 0.001) + beta
    h = relu(h.mean(axis=(1, 2)) @ w1 + b1)
    return config, weights, x, [softmax(h @ w2 + b2), h]


def sequential_lstm(rng):
    """Sequential: InputLayer (4, 3) -> LSTM(5), Keras 3's sigmoid gates -> Dense(2)."""
    units = 5
    kernel = rng.uniform(-0.6, 0.6, (3, 4 * units)).astype(np.float32)
    recurrent = rng.uniform(-0.6, 0.6, (units, 4 * units)).astype(np.float32)
    bias = rng.uniform(-0.2, 0.2, 4 * units).astype(np.float32)
    w, b = rng.uniform(-0.7, 0.7, (units, 2)).astype(np.float32), rng.uniform(-0.1, 0.1, 2).astype(np.float32)
    lstm = dict(base("lstm"), return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                unroll=False, zero_output_for_mask=False, units=units, activation="tanh",
                recurrent_activation="sigmoid", use_bias=True,
                kernel_initializer=initializer("GlorotUniform", seed=None),
                recurrent_initializer=initializer("Orthogonal", gain=1.0, seed=None),
                bias_initializer=initializer("Zeros"), unit_forget_bias=True, kernel_regularizer=None,
                recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                recurrent_dropout=0.0, seed=None)
    config = {"module": "keras", "class_name": "Sequential",
              "config": dict(base("forecaster"),
                             layers=[input_layer("steps", [None, 4, 3], functional=False),
                                     entry("LSTM", lstm, [None, 4, 3]), dense("out", 2, None, [None, units])],
                             build_input_shape=[None, 4, 3]),
              "registered_name": None, "build_config": {"input_shape": [None, 4, 3]}, "compile_config": None}
    config["config"]["layers"][2]["config"]["activation"] = "linear"
    weights = [("layers/lstm", []), ("layers/lstm/cell", [kernel, recurrent, bias]), ("layers/dense", [w, b])]

    x = rng.uniform(-1, 1, (3, 4, 3)).astype(np.float64)
    h = np.zeros((3, units))
    c = np.zeros((3, units))
    for t in range(4):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = (z[:, n * units:(n + 1) * units] for n in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
    return config, weights, x.astype(np.float32), [h @ w + b]


def main(out_dir):
    rng = np.random.default_rng(2026)
    with h5py.File(os.path.join(out_dir, "expected.h5"), "w") as expected:
        for name, make in (("functional_cnn", functional_cnn), ("sequential_lstm", sequential_lstm)):
            config, weights, x, outputs = make(rng)
            save(os.path.join(out_dir, name + ".keras"), config, weights)
            expected.create_dataset(name + "/input", data=x)
            for i, y in enumerate(outputs):
                expected.create_dataset(f"{name}/output_{i}", data=np.asarray(y, dtype=np.float32))
    # Broken archives for the error tests: an entry name that climbs out of a folder, and no config.
    with zipfile.ZipFile(os.path.join(out_dir, "escape.keras"), "w") as zf:
        zf.writestr(entry_info("config.json"), "{}")
        zf.writestr(entry_info("../outside.txt"), "x")
    with zipfile.ZipFile(os.path.join(out_dir, "no_config.keras"), "w") as zf:
        zf.writestr(entry_info("metadata.json"), json.dumps({"keras_version": "3.6.0"}))
    # Two entries of one name: Python's zipfile reads the last, libzip the first.
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(os.path.join(out_dir, "duplicate.keras"), "w") as zf:
            zf.writestr(entry_info("config.json"), "{}")
            zf.writestr(entry_info("config.json"), "[]")


if __name__ == "__main__":
    main(sys.argv[1])
