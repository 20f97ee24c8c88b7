#!/usr/bin/env bash
# Installs the Debian packages strata needs to build and test, only those missing; a no-op (well under a
# second) when everything is there. Run as root on Debian 12.
set -euo pipefail
# ocl-icd-opencl-dev: Debian's dnnl-config.cmake calls find_package(OpenCL REQUIRED) (its oneDNN has the OpenCL GPU
# runtime), but libdnnl-dev only recommends it, and recommends are not installed here.
packages=(cmake ninja-build g++ pkg-config libdnnl-dev ocl-icd-opencl-dev libfmt-dev catch2 libhdf5-dev libonnx-dev libprotobuf-dev
          protobuf-compiler graphviz nlohmann-json3-dev libzip-dev python3-rich python3-onnx python3-h5py python3-numpy)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node.js for the ONNX Runtime tests and peer benchmarks: Debian's nodejs and npm, only when node is missing
# (a node from elsewhere, e.g. NodeSource's, which bundles npm, is kept).
if ! command -v node >/dev/null 2>&1; then
  echo "Installing: nodejs npm"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nodejs npm
fi
# ONNX Runtime (CPU) from npm, pinned in tests/ort/package-lock.json and installed once into
# tests/ort/node_modules; --ignore-scripts skips the install script's GPU download (the CPU library ships in
# the package). Reinstalled only when the pinned version changes.
ort_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/ort"
ort_wanted=$(sed -n 's/.*"onnxruntime-node": "\([^"]*\)".*/\1/p' "$ort_dir/package.json")
ort_installed=$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' "$ort_dir/node_modules/onnxruntime-node/package.json" \
                2>/dev/null || true)
if [ "$ort_installed" != "$ort_wanted" ]; then
  echo "Installing: onnxruntime-node $ort_wanted (npm) into $ort_dir/node_modules"
  (cd "$ort_dir" && npm ci --ignore-scripts --no-audit --no-fund)
fi

# TensorFlow.js's Layers API (the independent Keras oracle of the numeric tests: tests/unit/tfjs_oracle.hpp),
# pure JavaScript packages pinned in tests/tfjs/package-lock.json, installed once into tests/tfjs/node_modules;
# reinstalled only when the pinned version changes.
tfjs_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/tfjs"
tfjs_wanted=$(sed -n 's/.*"@tensorflow\/tfjs-layers": "\([^"]*\)".*/\1/p' "$tfjs_dir/package.json")
tfjs_installed=$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' \
                 "$tfjs_dir/node_modules/@tensorflow/tfjs-layers/package.json" 2>/dev/null || true)
if [ "$tfjs_installed" != "$tfjs_wanted" ]; then
  echo "Installing: @tensorflow/tfjs-layers $tfjs_wanted (npm) into $tfjs_dir/node_modules"
  (cd "$tfjs_dir" && npm ci --ignore-scripts --no-audit --no-fund)
fi
