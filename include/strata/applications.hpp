#pragma once
/// @file applications.hpp
/// Keras's application models: VGG16 and VGG19, the ResNets (V1 and V2), DenseNets, InceptionV3,
/// InceptionResNetV2, Xception, MobileNet, MobileNetV2, MobileNetV3, the EfficientNets, EfficientNetV2s,
/// ConvNeXts and NASNets, with their ImageNet helpers.

#include "strata/applications/convnext.hpp"
#include "strata/applications/densenet.hpp"
#include "strata/applications/efficientnet.hpp"
#include "strata/applications/efficientnet_v2.hpp"
#include "strata/applications/imagenet.hpp"
#include "strata/applications/inception_resnet_v2.hpp"
#include "strata/applications/inception_v3.hpp"
#include "strata/applications/mobilenet.hpp"
#include "strata/applications/mobilenet_v2.hpp"
#include "strata/applications/mobilenet_v3.hpp"
#include "strata/applications/nasnet.hpp"
#include "strata/applications/resnet.hpp"
#include "strata/applications/vgg.hpp"
#include "strata/applications/xception.hpp"
