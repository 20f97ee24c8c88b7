#pragma once
// Model::load_weights on a Keras 3 `.keras` archive, as Keras 3's `model.load_weights("m.keras")`: the
// weights of its model.weights.h5 entry. Lives with load_model, which reads the same archives.

#include <string>

#include "strata/model.hpp"

namespace strata::detail {

/// Whether the file starts as a zip archive does (a .keras file, whatever its name).
bool is_zip_file(const std::string& path);

/// Loads `model`'s weights from the model.weights.h5 entry of the archive at `path`. Throws FileError naming
/// the archive for a corrupt archive or one without that entry, and as Model::load_weights, naming the entry.
LoadWeightsReport load_weights_from_archive(const Model& model, const std::string& path,
                                            const LoadWeightsOptions& options);

/// Model::load_weights on an HDF5 file only (an archive's entry: never another archive).
LoadWeightsReport load_hdf5_weights(const Model& model, const std::string& path,
                                    const LoadWeightsOptions& options);

}  // namespace strata::detail
