#pragma once
/// @file resnet50.hpp
/// `strata::applications::ResNet50` and `ResNet50Options`, declared with the rest of the ResNet family in
/// resnet.hpp; this header stays for the programs that include it.

#include "strata/applications/resnet.hpp"
