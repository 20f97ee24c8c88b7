#pragma once
/// @file applications.hpp
/// Keras's application models: ResNet50 and MobileNetV2, with their ImageNet helpers.

#include "strata/applications/imagenet.hpp"
#include "strata/applications/mobilenet_v2.hpp"
#include "strata/applications/resnet50.hpp"
