#pragma once
/// @file strata.hpp
/// The umbrella header: everything a strata user needs.

#include "strata/applications.hpp"
#include "strata/compile_options.hpp"
#include "strata/compiled_model.hpp"
#include "strata/composite_layer.hpp"
#include "strata/custom_layer.hpp"
#include "strata/error.hpp"
#include "strata/initializers.hpp"
#include "strata/layer.hpp"
#include "strata/layer_registry.hpp"
#include "strata/layers.hpp"
#include "strata/model.hpp"
#include "strata/npy.hpp"
#include "strata/onnx.hpp"
#include "strata/ops.hpp"
#include "strata/plot.hpp"
#include "strata/saving.hpp"
#include "strata/session.hpp"
#include "strata/shape.hpp"
#include "strata/symbolic_tensor.hpp"
#include "strata/tensor.hpp"
