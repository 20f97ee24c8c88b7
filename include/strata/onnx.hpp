#pragma once
/// @file onnx.hpp
/// Export to ONNX, so a strata model can be checked against, and served by, other engines.

#include <string>

#include "strata/model.hpp"

namespace strata {

/// Options of `export_onnx`.
struct OnnxExportOptions {
  /// ONNX opset to target.
  int opset = 17;
  /// Name the batch dimension symbolically ("N") so any batch size runs; false fixes it to 1.
  bool dynamic_batch = true;
};

/// Writes `model` (graph and weights) as a standard ONNX model. Inputs and outputs keep strata's NHWC layout;
/// the graph transposes to NCHW around the operators that need it. Throws ValueError naming the layer when a
/// layer cannot be exported (custom layers, unknown image sizes), FileError when the file cannot be written.
void export_onnx(const Model& model, const std::string& path, OnnxExportOptions options = {});

}  // namespace strata
