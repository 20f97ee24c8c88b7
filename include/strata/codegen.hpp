#pragma once
/// @file codegen.hpp
/// C++ source from a model: `to_cpp` writes the functional-API code that rebuilds it.

#include <string>

#include "strata/model.hpp"

namespace strata {

/// Options of `to_cpp`.
struct CppOptions {
  /// The function that builds the model: `strata::Model build_model()`. A second function,
  /// `<function>_with_weights(path)`, builds it and loads its weights.
  std::string function = "build_model";
  /// When set, the default `path` of `<function>_with_weights`: the file the model came from.
  std::string weights_file = "";
  /// When set, the functions go in this namespace (`a::b` nests).
  std::string namespace_name = "";
  /// What the header comment says the source was made from (`"resnet50.keras"`); empty: the model's name.
  std::string source = "";
};

/// The C++ source of a program fragment that rebuilds `model` with strata's functional API: one
/// `strata::SymbolicTensor` per layer call, in Keras's layer order, each layer made with the arguments it has
/// (defaults left out) and its name; a shared layer declared once and called at each use; each nested model
/// in a function of its own; a Sequential as `strata::Sequential({...})`; layers that are not trainable set
/// so. The source includes `<strata/strata.hpp>` and defines `strata::Model <function>()` (a
/// `strata::Sequential` for a Sequential model) and `<function>_with_weights(const std::string& path)`,
/// which calls `load_weights(path)` on it: a `.keras` archive, a Keras 2 HDF5 file or a `.weights.h5` file.
/// Each `keras.ops` call is written as its strata::ops function wrapped in `strata::ops::named`, so that it
/// keeps its name. Throws ValueError naming the layer for a custom layer (its C++ class is the user's) or a
/// layer shared between a model and a model nested in it; for a Sequential without an input shape yet; and
/// for a `function` or `namespace_name` that is not a C++ identifier (or is main, a keyword, a standard
/// macro or a layer class).
std::string to_cpp(const Model& model, const CppOptions& options = {});

}  // namespace strata
