#pragma once
/// @file layers.hpp
/// Every built-in layer; `namespace L = strata::layers;` reads like Keras's `layers`.

#include "strata/layers/conv2d.hpp"
#include "strata/layers/merge.hpp"
#include "strata/layers/pooling2d.hpp"
