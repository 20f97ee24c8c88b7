#!/usr/bin/python3
"""Writes Keras weight files with h5py, in the exact layouts Keras writes, for tests/unit/test_keras_weights.cpp.

    make_keras_weights.py OUTDIR     writes the files below into OUTDIR
    make_keras_weights.py --dump F   prints every group, dataset (dtype, shape, SHA-1 of the data) and
                                     attribute of the HDF5 file F, sorted, one per line
    make_keras_weights.py --to-legacy SRC LAYERS OUT
                                     rewrites the Keras 3 file SRC as a legacy tf.keras 2 file OUT, for the
                                     layers listed in LAYERS (see to_legacy)

This script is the source of truth for the layouts; it needs only numpy and h5py (Debian python3-h5py), not
Keras. The layouts follow keras/src/saving/saving_lib.py (Keras 3 `.weights.h5`) and
keras/src/legacy/saving/legacy_h5_format.py (legacy HDF5), as in the comments below.

Each case is a model written as Keras would list it: `model.layers` in order, each layer with its class name,
its name and its variables (name, shape, trainable) in creation order; a nested model is a "Functional"
entry with its own layers. The tests build the same models in strata (after strata::clear_session(), so the
names agree) and load these files into them.

For every case NAME:
  NAME.weights.h5          Keras 3.0-3.9 save_weights: a group for every layer (empty `vars` for layers
                           without variables) and the model's own empty `vars`
  NAME.new.weights.h5      Keras 3.10+ save_weights: no empty groups
  NAME.legacy.h5           tf.keras 2 save_weights(h5): root attributes layer_names, backend,
                           keras_version; weight_names such as "conv2d/kernel:0"
  NAME.full.h5             tf.keras 2 model.save(h5): the same under a `model_weights` group, with
                           model_config at the root
  NAME.k3legacy.h5         Keras 3 legacy_h5_format: weight_names such as "conv2d/kernel" and an empty
                           `top_level_model_weights` group
  NAME.w<i>.npy            the values, in strata's get_weights() order (creation order, layer by layer)
  NAME.x.npy               an input batch
plus the damaged and mismatched files the error tests use (see `variants`).
"""

import hashlib
import json
import os
import re
import sys
import zipfile

import h5py
import numpy as np

F32 = np.float32


def conv(name, kh, kw, cin, cout, bias=True):
    variables = [("kernel", (kh, kw, cin, cout), True)]
    if bias:
        variables.append(("bias", (cout,), True))
    return ("Conv2D", name, variables)


def depthwise(name, kh, kw, cin, dm=1):
    return ("DepthwiseConv2D", name, [("kernel", (kh, kw, cin, dm), True), ("bias", (cin * dm,), True)])


def batch_norm(name, c):
    return ("BatchNormalization", name, [("gamma", (c,), True), ("beta", (c,), True),
                                         ("moving_mean", (c,), False), ("moving_variance", (c,), False)])


def dense(name, cin, cout):
    return ("Dense", name, [("kernel", (cin, cout), True), ("bias", (cout,), True)])


def normalization(name, c):
    # Keras 3 stores `count` (a "int" variable, kept for older files) as an int64 scalar.
    return ("Normalization", name, [("mean", (c,), False), ("variance", (c,), False), ("count", (), False)])


def plain(cls, name):
    return (cls, name, [])


def functional(name, layers):
    return ("Functional", name, layers)


def subclassed(name, cls, attributes):
    """A subclassed layer of class `cls` holding layers as attributes: (attribute, layer) or (attribute, [layers])."""
    return ("Subclassed", name, (cls, attributes))


def held(rest):
    """A subclassed layer's (attribute, [layers], is_list) in tracking order."""
    return [(attr, value if isinstance(value, list) else [value], isinstance(value, list)) for attr, value in rest[1]]


def keras_class(cls, rest):
    return rest[0] if cls == "Subclassed" else cls


# The models of the tests, as Keras lists them. Names are strata's after clear_session().
CASES = {
    # tests/unit/test_util.hpp seed_block_1
    "seed1": {
        "input": (2, 32, 32, 3),
        "layers": [plain("InputLayer", "input_layer"), conv("conv2d", 3, 3, 3, 32), conv("conv2d_1", 3, 3, 32, 64),
                   conv("conv2d_2", 1, 1, 32, 64), plain("Add", "add")],
    },
    # seed_block_2
    "seed2": {
        "input": (2, 32, 32, 3),
        "layers": [plain("InputLayer", "input_layer"), conv("conv2d", 3, 3, 3, 32), conv("conv2d_1", 3, 3, 32, 64),
                   plain("MaxPooling2D", "max_pooling2d"), conv("conv2d_2", 1, 1, 32, 64), plain("Add", "add")],
    },
    # Conv2D, BatchNormalization, ReLU, DepthwiseConv2D, BatchNormalization, ReLU, GlobalAveragePooling2D, Dense
    "bn_dw_dense": {
        "input": (2, 16, 16, 3),
        "layers": [plain("InputLayer", "input_layer"), conv("conv2d", 3, 3, 3, 8), batch_norm("batch_normalization", 8),
                   plain("ReLU", "re_lu"), depthwise("depthwise_conv2d", 3, 3, 8),
                   batch_norm("batch_normalization_1", 8), plain("ReLU", "re_lu_1"),
                   plain("GlobalAveragePooling2D", "global_average_pooling2d"), dense("dense", 8, 10)],
    },
    # A nested model whose BatchNormalization comes before its Conv2D, so that the legacy order (trainable
    # weights of all its layers, then the non-trainable ones) differs from the layer-by-layer order.
    "nested": {
        "input": (2, 8, 8, 3),
        "layers": [plain("InputLayer", "input_layer_1"),
                   functional("inner", [plain("InputLayer", "input_layer"), batch_norm("batch_normalization", 3),
                                        conv("conv2d", 3, 3, 3, 4)]),
                   plain("GlobalAveragePooling2D", "global_average_pooling2d"), dense("dense", 4, 2)],
    },
    # Normalization's integer count: read rounded to float32 (it is above 2^24), where other weights refuse
    # integers. Not in test_keras_weights.cpp's kCases: strata writes the count back as float32.
    "normalization": {
        "input": (2, 4, 3),
        "layers": [plain("InputLayer", "input_layer"), normalization("normalization", 3), dense("dense", 3, 2)],
    },
    # A subclassed layer (strata's CompositeLayer) holding layers under attributes, one of them a list:
    # saving_lib stores them at layers/<snake_case class>/<attribute>/vars and <attribute>/<class>[_N]/vars.
    "subclassed": {
        "input": (2, 6, 6, 3),
        "layers": [plain("InputLayer", "input_layer"), conv("conv2d", 3, 3, 3, 8),
                   subclassed("squeeze_excite", "SqueezeExcite",
                              [("reduce", conv("conv2d_1", 1, 1, 8, 2)), ("expand", conv("conv2d_2", 1, 1, 2, 8)),
                               ("extra", [batch_norm("batch_normalization", 8), dense("dense", 8, 8)])]),
                   plain("GlobalAveragePooling2D", "global_average_pooling2d"), dense("dense_1", 8, 2)],
    },
    # Sequential: model.layers leaves the InputLayer out.
    "sequential": {
        "input": (2, 8, 8, 2),
        "sequential": True,
        "layers": [conv("conv2d", 3, 3, 2, 3), plain("Flatten", "flatten"), dense("dense", 108, 4)],
    },
}


def to_snake_case(name):
    # keras/src/utils/naming.py
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()


def make_values(case, seed):
    """One array per variable, keyed by (layer path tuple, variable index in creation order)."""
    rng = np.random.default_rng(seed)
    values = {}

    def fill(layers, prefix):
        for cls, name, rest in layers:
            if cls == "Functional":
                fill(rest, prefix + (name,))
                continue
            if cls == "Subclassed":
                for _, layers, _ in held(rest):
                    fill(layers, prefix + (name,))
                continue
            for i, (var, shape, _) in enumerate(rest):
                if var == "count":
                    values[prefix + (name,), i] = np.array(rng.integers(2**24, 2**40), dtype=np.int64)
                    continue
                if var in ("gamma", "moving_variance", "variance"):
                    v = rng.uniform(0.5, 1.5, size=shape)
                else:
                    v = rng.uniform(-0.5, 0.5, size=shape)
                values[prefix + (name,), i] = v.astype(F32)
    fill(case["layers"], ())
    return values


def strata_order(layers, prefix=()):
    """(key, variable) pairs in strata's get_weights() order: layer by layer, creation order."""
    out = []
    for cls, name, rest in layers:
        if cls == "Functional":
            out += strata_order(rest, prefix + (name,))
        elif cls == "Subclassed":
            for _, layers, _ in held(rest):
                out += strata_order(layers, prefix + (name,))
        else:
            out += [((prefix + (name,), i), var) for i, var in enumerate(rest)]
    return out


def keras_order(rest):
    """A layer's variables as Keras 3 keeps them: _trainable_variables + _non_trainable_variables."""
    indexed = list(enumerate(rest))
    return [p for p in indexed if p[1][2]] + [p for p in indexed if not p[1][2]]


# ----------------------------------------------------------------------------------------------------------
# Keras 3: saving_lib._save_state / _save_container_state / H5IOStore.

def write_keras3(path, case, values, empty_groups=True, dtype=None, tweak=None, file_options=None,
                 **dataset_options):
    """`tweak(path, array) -> array or None` may change or drop (None) a variable."""
    with h5py.File(path, "w", **(file_options or {})) as f:
        def vars_group(group_path, has_vars):
            if not empty_groups and not has_vars:
                return None
            return f.create_group(group_path + "/vars" if group_path else "vars")

        def save(layers, inner_path, prefix):
            used = {}
            for cls, name, rest in layers:
                key = to_snake_case(keras_class(cls, rest))
                if key in used:
                    used[key] += 1
                    key = f"{key}_{used[key]}"
                else:
                    used[key] = 0
                save_layer(cls, name, rest, f"{inner_path}/{key}" if inner_path else key, prefix)

        def save_layer(cls, name, rest, path_, prefix):
            if cls == "Functional":
                vars_group(path_, False)  # the nested model's own variables: none
                save(rest, path_ + "/layers", prefix + (name,))
                return
            if cls == "Subclassed":
                vars_group(path_, False)  # its own variables: none; then each attribute's
                for attr, layers, is_list in held(rest):
                    if is_list:
                        save(layers, f"{path_}/{attr}", prefix + (name,))
                    else:
                        save_layer(*layers[0], f"{path_}/{attr}", prefix + (name,))
                return
            items = []
            for i, (j, var) in enumerate(keras_order(rest)):
                array = values[prefix + (name,), j]
                if tweak is not None:
                    array = tweak(f"{path_}/vars/{i}", array)
                    if array is None:
                        continue
                items.append((str(i), array))
            group = vars_group(path_, bool(items))
            for key_, array in items:
                if dtype is not None:
                    array = array.astype(dtype)
                group.create_dataset(key_, data=array, **dataset_options)

        vars_group("", False)  # the model's own variables (Keras 3.0-3.9 always make this group)
        save(case["layers"], "layers", ())


# ----------------------------------------------------------------------------------------------------------
# Legacy: legacy_h5_format.save_weights_to_hdf5_group (and tf.keras 2's, which differs in the names).

def legacy_weights(cls, name, rest, values, prefix):
    """_legacy_weights(layer): trainable_weights + non_trainable_weights, as (weight name, array, trainable)."""
    if cls in ("Functional", "Subclassed"):
        inner = rest if cls == "Functional" else [layer for _, layers, _ in held(rest) for layer in layers]
        all_ = []
        for c, n, r in inner:
            all_ += [(f"{name}/{w}" if cls == "Subclassed" else w, a, t)
                     for w, a, t in legacy_weights(c, n, r, values, prefix + (name,))]
        return [w for w in all_ if w[2]] + [w for w in all_ if not w[2]]
    return [(f"{name}/{var}", values[prefix + (name,), i], trainable) for i, (var, _, trainable) in enumerate(rest)]


def write_legacy(group, case, values, style="tf2", skip=(), extra=(), tweak=None):
    """style "tf2": names "conv2d/kernel:0", no top_level_model_weights; "k3": Keras 3's legacy writer."""
    layers = [layer for layer in case["layers"] if layer[1] not in skip] + list(extra)
    names = [name for _, name, _ in layers]
    # save_attributes_to_hdf5_group stores the list of bytes as it is: h5py 3 (Keras 3) makes variable-length
    # strings of it; h5py 2 (the tf.keras era, Keras's published application weights) fixed-length ones.
    def strings(items):
        return np.asarray(items) if style == "tf2" else items

    group.attrs["layer_names"] = strings([n.encode("utf8") for n in names])
    group.attrs["backend"] = b"tensorflow"
    group.attrs["keras_version"] = b"2.15.0" if style == "tf2" else b"3.3.3"
    for cls, name, rest in sorted(layers, key=lambda x: x[1]):
        g = group.create_group(name)
        weights = legacy_weights(cls, name, rest, values, ())
        weight_names = [(w + ":0" if style == "tf2" else w).encode("utf8") for w, _, _ in weights]
        # An empty list is written as np.asarray([]): an empty float64 array.
        g.attrs["weight_names"] = strings(weight_names) if weight_names else np.asarray([])
        for (weight_name, array, _), encoded in zip(weights, weight_names):
            if tweak is not None:
                array = tweak(encoded.decode(), array)
            g.create_dataset(encoded.decode(), array.shape, dtype=array.dtype)[...] = array
    if style == "k3":
        top = group.create_group("top_level_model_weights")
        top.attrs["weight_names"] = np.asarray([])


def write_legacy_file(path, case, values, **kwargs):
    with h5py.File(path, "w") as f:
        write_legacy(f, case, values, **kwargs)


def write_full_model(path, case, values):
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.15.0"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps({"class_name": "Functional", "config": {}}).encode("utf8")
        write_legacy(f.create_group("model_weights"), case, values)


# ----------------------------------------------------------------------------------------------------------

def write_case(out, name, case, seed):
    values = make_values(case, seed)
    write_keras3(os.path.join(out, f"{name}.weights.h5"), case, values)
    write_keras3(os.path.join(out, f"{name}.new.weights.h5"), case, values, empty_groups=False)
    write_legacy_file(os.path.join(out, f"{name}.legacy.h5"), case, values)
    write_full_model(os.path.join(out, f"{name}.full.h5"), case, values)
    write_legacy_file(os.path.join(out, f"{name}.k3legacy.h5"), case, values, style="k3")
    for i, (key, _) in enumerate(strata_order(case["layers"])):
        np.save(os.path.join(out, f"{name}.w{i}.npy"), values[key].astype(F32))
    rng = np.random.default_rng(seed + 1000)
    np.save(os.path.join(out, f"{name}.x.npy"), rng.uniform(-1, 1, size=case["input"]).astype(F32))
    return values


def variants(out, values_by_case):
    seed1, v1 = CASES["seed1"], values_by_case["seed1"]
    p = lambda n: os.path.join(out, n)

    def retype(target, dtype):
        return lambda path, a: a.astype(dtype) if path == target else a

    # Keras 3 mismatches.
    write_keras3(p("seed1.wrong_shape.weights.h5"), seed1, v1,
                 tweak=lambda path, a: a[:, :, :, :32] if path == "layers/conv2d_1/vars/0" else a)
    write_keras3(p("seed1.float64.weights.h5"), seed1, v1, tweak=retype("layers/conv2d_1/vars/0", np.float64))
    write_keras3(p("seed1.int32.weights.h5"), seed1, v1, tweak=retype("layers/conv2d_1/vars/1", np.int32))
    write_keras3(p("seed1.missing_bias.weights.h5"), seed1, v1,
                 tweak=lambda path, a: None if path == "layers/conv2d_2/vars/1" else a)
    missing = dict(seed1, layers=[l for l in seed1["layers"] if l[1] != "conv2d_2"])
    write_keras3(p("seed1.missing_layer.weights.h5"), missing, v1)
    extra = dict(seed1, layers=seed1["layers"] + [conv("conv2d_3", 1, 1, 64, 8)])
    extra_values = dict(v1)
    extra_values[("conv2d_3",), 0] = np.ones((1, 1, 64, 8), F32)
    extra_values[("conv2d_3",), 1] = np.ones((8,), F32)
    write_keras3(p("seed1.extra_layer.weights.h5"), extra, extra_values)
    # Readable variants: float16 and bfloat16 values (exactly widened), big-endian float32; and gzip chunks,
    # which strata refuses.
    half = {k: a.astype(np.float16) for k, a in v1.items()}
    write_keras3(p("seed1.float16.weights.h5"), seed1, half)
    for i, (key, _) in enumerate(strata_order(seed1["layers"])):
        np.save(p(f"seed1.float16.w{i}.npy"), half[key].astype(F32))
    bf16_bits = {k: (a.view(np.uint32) >> 16).astype(np.uint16) for k, a in v1.items()}
    with h5py.File(p("seed1.bfloat16.weights.h5"), "w") as f:
        # Keras 3 writes ml_dtypes.bfloat16 arrays (2-byte opaque values) with the attribute dtype="bfloat16".
        f.create_group("vars")
        f.create_group("layers/input_layer/vars")
        f.create_group("layers/add/vars")
        for key, path in ((("conv2d",), "layers/conv2d"), (("conv2d_1",), "layers/conv2d_1"),
                          (("conv2d_2",), "layers/conv2d_2")):
            g = f.create_group(path + "/vars")
            for i in range(2):
                ds = g.create_dataset(str(i), data=bf16_bits[key, i].view("V2"))
                ds.attrs["dtype"] = "bfloat16"
    for i, (key, _) in enumerate(strata_order(seed1["layers"])):
        np.save(p(f"seed1.bfloat16.w{i}.npy"), (bf16_bits[key].astype(np.uint32) << 16).view(F32))
    write_keras3(p("seed1.bigendian.weights.h5"), seed1, v1, dtype=">f4")
    write_keras3(p("seed1.gzip.weights.h5"), seed1, v1, compression="gzip", chunks=True)
    # HDF5 files after a user block, and with the newest superblock (version 3, libver="latest").
    write_keras3(p("seed1.userblock.weights.h5"), seed1, v1, file_options={"userblock_size": 1024})
    write_keras3(p("seed1.latest.weights.h5"), seed1, v1, file_options={"libver": "latest"})
    # Keras 2.13's format named the layer container after tf.keras's attribute; Keras 3 still reads it.
    write_keras3(p("seed1.k213.weights.h5"), seed1, v1)
    with h5py.File(p("seed1.k213.weights.h5"), "r+") as f:
        f.move("layers", "_layer_checkpoint_dependencies")

    # Legacy mismatches.
    write_legacy_file(p("seed1.legacy_missing.h5"), seed1, v1, skip=("conv2d_2",))
    legacy_extra = dict(v1)
    legacy_extra[("dense",), 0] = np.ones((64, 3), F32)
    legacy_extra[("dense",), 1] = np.ones((3,), F32)
    write_legacy_file(p("seed1.legacy_extra.h5"), seed1, legacy_extra, extra=(dense("dense", 64, 3),))
    write_legacy_file(p("seed1.legacy_wrong_shape.h5"), seed1, v1,
                      tweak=lambda name, a: a[:, :, :, :16] if name == "conv2d_1/kernel:0" else a)
    write_legacy_file(p("seed1.legacy_float64.h5"), seed1, v1,
                      tweak=lambda name, a: a.astype(np.float64) if name == "conv2d_2/bias:0" else a)
    # Keras 3's legacy writer (variable-length strings) with the newest object headers (version 2).
    with h5py.File(p("seed1.k3legacy_latest.h5"), "w", libver="latest") as f:
        write_legacy(f, seed1, v1, style="k3")
    # Damaged global heaps under variable-length strings: the first string object made longer than the
    # string that refers to it (libhdf5 1.10 would copy past its buffer), or larger than the collection.
    good = open(p("seed1.k3legacy.h5"), "rb").read()
    heap = good.index(b"GCOL\x01")
    size_at = heap + 16 + 8  # the collection's header, then object 1's index, count, reserved bytes
    size = int.from_bytes(good[size_at:size_at + 8], "little")
    longer = size + 1 if size % 8 else size - 1  # the padded size, and so the walk of the heap, stays the same
    for name, new_size in (("seed1.heap_longer.h5", longer), ("seed1.heap_huge.h5", 1 << 40)):
        with open(p(name), "wb") as f:
            f.write(good[:size_at] + new_size.to_bytes(8, "little") + good[size_at + 8:])
    # Legacy split attribute (layer_names0, layer_names1, ...), as Keras writes beyond 64 KB.
    with h5py.File(p("seed1.legacy_chunked.h5"), "w") as f:
        write_legacy(f, seed1, v1)
        names = list(f.attrs["layer_names"])
        del f.attrs["layer_names"]
        f.attrs["layer_names0"] = names[:2]
        f.attrs["layer_names1"] = names[2:]

    # by_name: a file for bn_dw_dense whose 'dense' has the wrong shape, whose 'conv2d' has only its
    # kernel, which lacks 'depthwise_conv2d' and has a layer 'other' the model does not have.
    bn, vb = CASES["bn_dw_dense"], values_by_case["bn_dw_dense"]
    by_name_values = dict(vb)
    by_name_values[("dense",), 0] = np.full((8, 5), 0.25, F32)
    by_name_values[("dense",), 1] = np.full((5,), 0.25, F32)
    by_name_values[("other",), 0] = np.ones((2, 2), F32)
    layers = []
    for cls, name, rest in bn["layers"]:
        if name == "dense":
            layers.append(dense("dense", 8, 5))
        elif name == "conv2d":
            layers.append(("Conv2D", "conv2d", rest[:1]))
        elif name != "depthwise_conv2d":
            layers.append((cls, name, rest))
    layers.append(("Dense", "other", [("kernel", (2, 2), True)]))
    write_legacy_file(p("bn_dw_dense.by_name.h5"), dict(bn, layers=layers), by_name_values)

    # Not Keras weights; not HDF5 at all; a .keras zip archive.
    with h5py.File(p("not_keras.h5"), "w") as f:
        f.create_dataset("foo", data=np.zeros(3, F32))
    with open(p("not_hdf5.h5"), "w") as f:
        f.write("this is a text file, not HDF5\n" * 20)
    with zipfile.ZipFile(p("model.keras"), "w") as z:
        z.writestr("config.json", "{}")
        z.writestr("metadata.json", "{}")


def dump(path):
    lines = []

    def attrs(name, obj):
        for key in sorted(obj.attrs):
            value = obj.attrs[key]
            lines.append(f"A {name} @{key} = {np.asarray(value).dtype.str}{np.asarray(value).tolist()!r}")

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            data = obj[()]
            digest = hashlib.sha1(np.ascontiguousarray(data).tobytes()).hexdigest()[:16]
            lines.append(f"D {name} {obj.dtype.str} {obj.shape} {obj.chunks} {obj.compression} {digest}")
        else:
            lines.append(f"G {name}")
        attrs(name, obj)

    with h5py.File(path, "r") as f:
        attrs("/", f)
        f.visititems(visit)
    print("\n".join(sorted(lines)))


def to_legacy(source, layers_file, out):
    """Rewrites a Keras 3 file as tf.keras 2's legacy file of the same model. `layers_file` lists
    `model.layers`, one per line: class name, layer name, then its variable names (Keras order), by spaces.
    Top-level layers only (the applications have no nested models)."""
    layers = [line.split() for line in open(layers_file) if line.strip()]
    used = {}
    with h5py.File(source, "r") as src, h5py.File(out, "w") as f:
        f.attrs["layer_names"] = np.asarray([layer[1].encode("utf8") for layer in layers])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.15.0"
        groups = {}
        for cls, name, *variables in layers:
            key = to_snake_case(cls)
            if key in used:
                used[key] += 1
                key = f"{key}_{used[key]}"
            else:
                used[key] = 0
            vars_ = src.get(f"layers/{key}/vars")
            if len(variables) != (0 if vars_ is None else len(vars_)):
                sys.exit(f"{name}: {len(variables)} variables listed, layers/{key}/vars has a different count")
            groups[name] = [(f"{name}/{v}:0", vars_[str(i)][()]) for i, v in enumerate(variables)]
        for name in sorted(groups):
            g = f.create_group(name)
            weights = groups[name]
            g.attrs["weight_names"] = np.asarray([w.encode("utf8") for w, _ in weights]) if weights else np.asarray([])
            for weight_name, array in weights:
                g.create_dataset(weight_name, array.shape, dtype=array.dtype)[...] = array


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--dump":
        dump(sys.argv[2])
        return
    if len(sys.argv) == 5 and sys.argv[1] == "--to-legacy":
        to_legacy(*sys.argv[2:])
        return
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    values_by_case = {}
    for seed, (name, case) in enumerate(CASES.items()):
        values_by_case[name] = write_case(out, name, case, seed)
    variants(out, values_by_case)


if __name__ == "__main__":
    main()
