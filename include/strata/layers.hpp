#pragma once
/// @file layers.hpp
/// Every built-in layer; `namespace L = strata::layers;` reads like Keras's `layers`.

#include "strata/layers/activations.hpp"
#include "strata/layers/batch_normalization.hpp"
#include "strata/layers/conv1d.hpp"
#include "strata/layers/conv2d.hpp"
#include "strata/layers/conv_transpose.hpp"
#include "strata/layers/dense.hpp"
#include "strata/layers/depthwise_conv1d.hpp"
#include "strata/layers/depthwise_conv2d.hpp"
#include "strata/layers/global_pooling2d.hpp"
#include "strata/layers/input_layer.hpp"
#include "strata/layers/layer_normalization.hpp"
#include "strata/layers/merge.hpp"
#include "strata/layers/normalization.hpp"
#include "strata/layers/pooling1d.hpp"
#include "strata/layers/pooling2d.hpp"
#include "strata/layers/preprocessing.hpp"
#include "strata/layers/regularization.hpp"
#include "strata/layers/reshaping.hpp"
#include "strata/layers/reshaping1d.hpp"
#include "strata/layers/unit_normalization.hpp"
