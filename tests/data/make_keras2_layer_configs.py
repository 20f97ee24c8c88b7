#!/usr/bin/python3
"""Extracts the layer configs Keras 2 wrote into model files, for tests/unit/test_layer_configs.cpp.

    make_keras2_layer_configs.py KERAS_FILES_DIR > tests/data/keras2_layer_configs.json

KERAS_FILES_DIR holds DL4J's Keras-import test resources (repository KonduitAI/dl4j-test-resources at commit
e9518276, folder src/main/resources/modelimport/keras/, Apache License 2.0: LICENSE-dl4j-test-resources
here), files written by Keras 2.0 to 2.11 itself. For every full-model file (root attribute `model_config`)
written by Keras 2, every channels-last config of a layer class strata has is copied verbatim, once per distinct config,
with the file it came from and the Keras version that wrote it. Needs h5py (Debian python3-h5py).
"""
import glob
import json
import os
import sys

import h5py

# The layer classes strata has (docs/layers.md).
STRATA_CLASSES = set("""InputLayer Conv1D Conv2D Conv2DTranspose Conv1DTranspose DepthwiseConv2D SeparableConv2D Dense
BatchNormalization Activation ReLU
LeakyReLU Softmax GlobalAveragePooling2D GlobalMaxPooling2D MaxPooling2D AveragePooling2D Add Subtract Multiply
Average Maximum Minimum Concatenate Flatten Reshape ZeroPadding2D Cropping2D UpSampling2D Dropout
SpatialDropout2D""".split())


def main(root):
    out, seen = [], set()

    def walk(node, version, name):
        if isinstance(node, dict):
            config = node.get("config")
            # channels_first: strata computes channels_last only (such configs are refused by name).
            if (node.get("class_name") in STRATA_CLASSES and isinstance(config, dict)
                    and config.get("data_format") != "channels_first"):
                key = json.dumps([node["class_name"], config], sort_keys=True)
                if key not in seen:
                    seen.add(key)
                    out.append({"file": name, "keras_version": version, "class_name": node["class_name"],
                                "config": config})
            for value in node.values():
                walk(value, version, name)
        elif isinstance(node, list):
            for value in node:
                walk(value, version, name)

    for path in sorted(glob.glob(os.path.join(root, "**", "*.h5"), recursive=True)):
        try:
            f = h5py.File(path, "r")
        except OSError:
            continue
        if "model_config" not in f.attrs:
            continue
        text = f.attrs["model_config"]
        version = f.attrs.get("keras_version", b"?")
        text = text.decode() if isinstance(text, bytes) else text
        version = version.decode() if isinstance(version, bytes) else version
        if version.startswith("2"):
            walk(json.loads(text), version, os.path.relpath(path, root))
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
