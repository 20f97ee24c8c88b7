#pragma once
/// @file plot.hpp
/// `strata::plot_model`, Keras's `plot_model`: the graph as Graphviz DOT, PNG or SVG.

#include <string>

#include "strata/model.hpp"

namespace strata {

/// Keras `plot_model` options, in Keras's order.
struct PlotOptions {
  /// Show each layer's output shape.
  bool show_shapes = false;
  /// Show the dtype (always float32).
  bool show_dtype = false;
  /// Show layer names (otherwise only class names).
  bool show_layer_names = true;
  /// "TB" (top to bottom) or "LR" (left to right).
  std::string rankdir = "TB";
  /// Draw nested models' layers inside a cluster.
  bool expand_nested = false;
  /// Resolution of PNG output.
  int dpi = 200;
};

/// Writes the model's graph to `path`: DOT text for `.dot`/`.gv`, or PNG/SVG for `.png`/`.svg` through
/// Graphviz's `dot` program. Throws ValueError for an unknown extension or option, FileError when the file
/// cannot be written or `dot` is not installed (naming the Debian package `graphviz`).
void plot_model(const Model& model, const std::string& path, PlotOptions options = {});

/// The DOT text `plot_model` would write.
std::string model_to_dot(const Model& model, PlotOptions options = {});

}  // namespace strata
