#!/usr/bin/env bash
# Installs the Debian packages strata needs to build and test, only those missing; a no-op (well under a
# second) when everything is there. Run as root on Debian 12.
set -euo pipefail
packages=(cmake ninja-build g++ pkg-config libdnnl-dev libfmt-dev catch2 libhdf5-dev libonnx-dev libprotobuf-dev
          protobuf-compiler graphviz python3-onnx python3-h5py python3-numpy)
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
