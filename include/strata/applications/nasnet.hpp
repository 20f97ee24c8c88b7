#pragma once
/// @file nasnet.hpp
/// `strata::applications::NASNetMobile` and `NASNetLarge`, Keras's NASNet-A models
/// (keras.applications.nasnet) with Keras's layer names and order.

#include "strata/applications/application_options.hpp"
#include "strata/model.hpp"

namespace strata::applications {

/// Builds NASNet-A (4 @ 1056) as `keras.applications.NASNetMobile` does: a strided 3x3 stem convolution, two
/// reduction cells, then three stacks of four normal cells separated by reduction cells (44, 88 and 176
/// filters), each cell combining its input with the previous cell's through relu, separable convolution and
/// batch-norm blocks, 3x3 poolings and sums, concatenated; the previous cell's output is adjusted to the
/// current one's size by two strided 1x1 paths, the second shifted by a pixel (`adjust_*`), or a 1x1
/// projection. Keras's names (`stem_conv1`, `normal_conv_1_0`, `separable_conv_1_normal_left1_0`,
/// `reduction_concat_reduce_4`, ...; the relus, the shifted paths' padding, cropping and concatenation, one
/// sum per reduction cell and the top's pooling unnamed, so `activation[_N]`, `zero_padding2d[_N]`,
/// `cropping2d[_N]`, `concatenate[_N]`, `add[_N]`, `global_average_pooling2d`), 5,326,716 parameters with the
/// top. Default input 224x224; without the top the default is 224x224 too, as Keras's. At least 32x32, and
/// the height and width must be known (the cells compare their inputs' widths to choose the adjustment).
/// Inputs are scaled to [-1, 1] (`nasnet::preprocess_input`). Throws ValueError for bad options (an input
/// smaller than 32x32 or of unknown size, 3 channels required, unknown pooling, `weights` "imagenet"), and
/// `Model::load_weights`'s FileError when `weights` names a file that is missing or does not match the model.
Model NASNetMobile(ApplicationOptions options = {});

/// Builds NASNet-A (6 @ 4032) as `keras.applications.NASNetLarge` does: NASNetMobile's structure with a
/// 96-filter stem, six normal cells a stack (168, 336 and 672 filters) and the reduction cells skipped as
/// the next cell's previous input (Keras's `skip_reduction=True`). 88,949,818 parameters with the top.
/// Default input 331x331, at least 32x32; without the top `input_shape` must be given (Keras would build
/// a model that cannot run on an unknown size). Same errors as NASNetMobile's.
Model NASNetLarge(ApplicationOptions options = {});

}  // namespace strata::applications
