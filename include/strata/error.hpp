#pragma once
/// @file error.hpp
/// The exception types strata throws. Every message starts with the layer or input it concerns, then
/// says what was expected and what was received.

#include <stdexcept>
#include <string>

namespace strata {

/// Base of every exception strata throws on purpose. Catch this to handle any strata failure.
class Error : public std::runtime_error {
 public:
  /// Creates an error with the full, user-facing message.
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// A bad argument value: an unknown padding string, a kernel size of zero, a wrong weight count.
class ValueError : public Error {
 public:
  /// Creates a ValueError with the given message.
  using Error::Error;
};

/// Shapes that do not fit together, found while building the graph or when data reaches predict.
class ShapeError : public Error {
 public:
  /// Creates a ShapeError with the given message.
  using Error::Error;
};

/// A malformed graph: disconnected outputs, duplicate layer names, an unknown layer, a cycle.
class GraphError : public Error {
 public:
  /// Creates a GraphError with the given message.
  using Error::Error;
};

/// A missing, malformed or mismatched file.
class FileError : public Error {
 public:
  /// Creates a FileError with the given message.
  using Error::Error;
};

/// Memory that could not be allocated: a layer's weights or a plan's buffers larger than the machine can
/// give. The message names the layer or model and the bytes asked for; nothing was changed.
class ResourceError : public Error {
 public:
  /// Creates a ResourceError with the given message.
  using Error::Error;
};

/// A bug inside strata itself; please report it with the message.
class InternalError : public Error {
 public:
  /// Creates an InternalError with the given message.
  using Error::Error;
};

}  // namespace strata
