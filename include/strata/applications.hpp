#pragma once
/// @file applications.hpp
/// Keras's application models: VGG16 and VGG19, the ResNets (V1 and V2), MobileNetV2, with their ImageNet
/// helpers.

#include "strata/applications/imagenet.hpp"
#include "strata/applications/mobilenet_v2.hpp"
#include "strata/applications/resnet.hpp"
#include "strata/applications/vgg.hpp"
