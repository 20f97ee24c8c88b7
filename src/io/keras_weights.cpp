// Model::load_weights and Model::save_weights: Keras 3's `.weights.h5` format and the legacy Keras 2 HDF5
// weights format, read and matched as Keras reads and matches them (keras/src/saving/saving_lib.py and
// keras/src/legacy/saving/legacy_h5_format.py).
//
// Keras 3 (`save_weights_only` / `load_weights_only`): the model's own variables in `vars`, then each layer
// of `model.layers` under `layers/<snake_case class name>[_N]/vars/<i>`, the counter running per class name
// in `model.layers` order; a nested model's layers under `layers/functional/layers/...`. A layer's variables
// are its trainable ones, then its non-trainable ones (`_trainable_variables + _non_trainable_variables`).
// Any layer that holds layers (LayerImpl::sublayers) nests them the same way, under its attribute names.
//
// Legacy (`save_weights_to_hdf5_group`): the root (or `model_weights` in a full-model file) has the attribute
// `layer_names`; each layer's group has `weight_names`, the paths of its datasets in the group. A layer's
// weights are `trainable_weights + non_trainable_weights`, which for a nested model puts all trainable
// weights of its layers before all non-trainable ones. Loading pairs the layers with weights in order.
//
// Every value is read and checked before any weight changes, so a failed load leaves the model as it was.

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <unistd.h>

#include "core/session.hpp"
#include "graph/functional.hpp"
#include "io/hdf5_file.hpp"
#include "io/keras_archive_weights.hpp"
#include "layers/layer_impl.hpp"
#include "strata/error.hpp"
#include "strata/model.hpp"

namespace strata {
namespace {

using detail::FunctionalImpl;
using detail::LayerImpl;
using detail::SublayerGroup;
using detail::Variable;
namespace h5 = detail::h5;

// One weight as Keras orders it: a variable of a (non-model) layer.
struct Slot {
  LayerImpl* layer = nullptr;
  size_t index = 0;        // into layer->variables()
  bool trainable = true;   // as Keras sees it now: the variable's flag and every enclosing layer's
};

const Variable& variable_of(const Slot& s) {
  return s.layer->variables()[s.index];
}
const std::string& name_of(const Slot& s) { return s.layer->variables()[s.index].name; }

FunctionalImpl* as_model(LayerImpl* layer) { return dynamic_cast<FunctionalImpl*>(layer); }

FunctionalImpl& model_of(const std::shared_ptr<detail::LayerImpl>& impl) {
  auto* model = impl ? as_model(impl.get()) : nullptr;
  if (model == nullptr) {
    throw ValueError("[Model] This model has no graph yet: a Sequential needs a layers::InputLayer first, or build()");
  }
  return *model;
}

// Keras's `model.layers`: a Sequential leaves out its InputLayer.
std::vector<LayerImpl*> keras_layers(const FunctionalImpl& model) {
  return model.sublayers().front().layers;
}

// A layer's own variables as Keras 3 stores them: trainable ones first, then non-trainable ones.
std::vector<Slot> own_slots(LayerImpl* layer, bool enclosing_trainable) {
  std::vector<Slot> out;
  const auto& vars = layer->variables();
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < vars.size(); ++i) {
      if (vars[i].trainable != (pass == 0)) continue;
      out.push_back({layer, i, vars[i].trainable && layer->trainable && enclosing_trainable});
    }
  }
  return out;
}

// Keras's `layer.weights`: a layer's own slots, then those of the layers it holds (a model's layers), one
// after the other.
void collect_weights(LayerImpl* layer, bool enclosing_trainable, std::set<const LayerImpl*>& seen,
                     std::vector<Slot>& out) {
  if (!seen.insert(layer).second) return;
  for (const Slot& s : own_slots(layer, enclosing_trainable)) out.push_back(s);
  for (const SublayerGroup& group : layer->sublayers()) {
    for (LayerImpl* inner : group.layers)
      collect_weights(inner, enclosing_trainable && layer->trainable, seen, out);
  }
}

// Keras's `_legacy_weights(layer)`: `trainable_weights + non_trainable_weights`.
std::vector<Slot> legacy_weights(LayerImpl* layer, bool enclosing_trainable) {
  std::set<const LayerImpl*> seen;
  std::vector<Slot> all;
  collect_weights(layer, enclosing_trainable, seen, all);
  std::stable_partition(all.begin(), all.end(), [](const Slot& s) { return s.trainable; });
  return all;
}

// Keras's _save_container_state / _load_container_state: the snake_case class name, then name_1, name_2, ...
// for the next layers of the same class, counted over `model.layers` in order.
std::string container_key(const LayerImpl& layer, std::map<std::string, int>& used) {
  const std::string base = detail::to_snake_case(layer.class_name());
  const auto [it, first] = used.emplace(base, 0);
  if (first) return base;
  return fmt::format("{}_{}", base, ++it->second);
}

std::string layer_label(const LayerImpl& layer) { return fmt::format("'{}' ({})", layer.name(), layer.class_name()); }

std::string names_of(const std::vector<Slot>& slots) {
  std::vector<std::string> names;
  for (const Slot& s : slots) {
    names.push_back(s.layer->variables().size() == slots.size() ? name_of(s) : s.layer->name() + "/" + name_of(s));
  }
  return fmt::format("[{}]", fmt::join(names, ", "));
}

std::string dims_string(const std::vector<int64_t>& dims) { return to_shape(dims).to_string(); }

// A list for a message, cut after `limit` entries.
std::string short_list(const std::vector<std::string>& items, size_t limit = 8) {
  std::vector<std::string> shown(items.begin(), items.begin() + static_cast<long>(std::min(limit, items.size())));
  std::string s = fmt::format("{}", fmt::join(shown, ", "));
  if (items.size() > limit) s += fmt::format(", ... ({} more)", items.size() - limit);
  return "[" + s + "]";
}

// A mismatch that skip_mismatch may skip; anything else (a damaged file) is always an error.
struct Mismatch {
  std::string message;
};

// The values to assign, checked, per layer and variable; applied only once everything has been read.
class Plan {
 public:
  bool empty() const { return values_.empty(); }
  void set(const Slot& slot, Tensor value) {
    auto& values = values_[slot.layer];
    values.resize(slot.layer->variables().size());
    values[slot.index] = std::move(value);
  }
  void apply() {
    for (auto& [layer, values] : values_) {
      std::vector<Tensor> full;
      const auto& vars = layer->variables();
      for (size_t i = 0; i < vars.size(); ++i)
        full.push_back(values[i] ? std::move(*values[i]) : *vars[i].tensor());
      layer->set_variable_values(full);  // shapes were checked: this cannot fail
    }
  }

 private:
  std::map<LayerImpl*, std::vector<std::optional<Tensor>>> values_;
};

class Loader {
 public:
  Loader(std::string path, LoadWeightsOptions options)
      : path_(std::move(path)), options_(options), prefix_(fmt::format("[load_weights \"{}\"]", path_)) {}

  LoadWeightsReport load(FunctionalImpl& model) {
    h5::QuietErrors quiet;
    try {
      h5::File file = h5::File::open(path_);
      const h5::Group root = file.root();
      if (root.has_attribute("layer_names") || root.has_attribute("layer_names0")) {
        load_legacy(model, root);
      } else if (root.kind("model_weights") == h5::Kind::kGroup &&
                 (root.open_group("model_weights").has_attribute("layer_names") ||
                  root.open_group("model_weights").has_attribute("layer_names0"))) {
        load_legacy(model, root.open_group("model_weights"));
      } else {
        load_keras3(model, root);
      }
    } catch (const h5::Failure& e) {
      throw FileError(fmt::format("{} {}", prefix_, e.what()));
    }
    if (plan_.empty() && !model.weights().empty()) {
      throw FileError(
          fmt::format("{} Nothing would be loaded: no weight of the file matches a weight of model '{}'"
                      "{}. Model layers with weights: {}",
                      prefix_, model.name(),
                      report_.skipped.empty() ? "" : fmt::format(" ({} skipped)", report_.skipped.size()),
                      short_list(layers_with_weights(model))));
    }
    plan_.apply();
    return std::move(report_);
  }

 private:
  // Throws, or warns and returns when skip_mismatch allows it.
  void mismatch(const std::string& message) {
    if (!options_.skip_mismatch) throw FileError(fmt::format("{} {}", prefix_, message));
    report_.skipped.push_back(message);
    std::cerr << fmt::format("strata warning: {} Skipping: {}\n", prefix_, message) << std::flush;
  }

  // Reads the dataset for `slot` after checking its shape and type; nullopt when skipped.
  std::optional<Tensor> read(const h5::Dataset& dataset, const Slot& slot, const std::string& where) {
    const std::vector<int64_t>& want = variable_of(slot).dims();
    const std::vector<int64_t> have = dataset.dims();
    const std::string what = fmt::format("Layer {}, variable '{}'{}", layer_label(*slot.layer), name_of(slot),
                                         where.empty() ? "" : " (" + where + ")");
    if (have != want) {
      mismatch(fmt::format("{}: expected shape {}, the file has shape {} at {}", what, dims_string(want),
                           dims_string(have), dataset.path()));
      return std::nullopt;
    }
    const h5::DataType type = dataset.dtype();
    if (!h5::Dataset::readable(type, variable_of(slot).counter)) {
      mismatch(fmt::format("{}: expected float32 values, the file has {} at {} (strata reads float32, and float16 "
                           "or bfloat16 widened exactly)",
                           what, type.name, dataset.path()));
      return std::nullopt;
    }
    return Tensor(want, dataset.read_floats(variable_of(slot).size()));
  }

  // ------------------------------------------------------------------------------------------------------
  // Keras 3.

  void load_keras3(FunctionalImpl& model, const h5::Group& root) {
    const bool any = root.kind("layers") != h5::Kind::kMissing || root.kind("vars") != h5::Kind::kMissing ||
                     root.kind("_layer_checkpoint_dependencies") != h5::Kind::kMissing;
    if (options_.by_name) {
      throw FileError(fmt::format("{} by_name applies to legacy Keras 2 HDF5 files only; this is a Keras 3 weights "
                                  "file, whose layers are found by class-name paths (as Keras, which refuses "
                                  "by_name for .weights.h5 files)",
                                  prefix_));
    }
    if (!any) {
      std::set<const LayerImpl*> seen;
      std::vector<Slot> all;
      collect_weights(&model, true, seen, all);
      if (!all.empty()) {
        throw FileError(fmt::format("{} The file holds no Keras weights: neither Keras 3 groups ('layers', 'vars') "
                                    "nor a legacy 'layer_names' attribute at its root or in 'model_weights'",
                                    prefix_));
      }
    }
    std::set<const LayerImpl*> visited;
    visit_keras3(model, root, "", visited);
  }

  // Keras's H5IOStore.get: `<path>/vars`, or for files of Keras 2.13 the same path with
  // "_layer_checkpoint_dependencies" for "layers".
  std::optional<std::string> find_group(const h5::Group& root, const std::string& path) const {
    if (root.kind(path) == h5::Kind::kGroup) return path;
    if (root.kind("_layer_checkpoint_dependencies") == h5::Kind::kGroup) {
      std::string alt = path;
      for (size_t at = 0; (at = alt.find("layers", at)) != std::string::npos; at += 30) {
        alt.replace(at, 6, "_layer_checkpoint_dependencies");
      }
      if (root.kind(alt) == h5::Kind::kGroup) return alt;
    }
    return std::nullopt;
  }

  // Keras's _load_state: the layer's own variables at `<base>vars`, then each layer it holds under its
  // attribute's path. `base` is "" for the model itself, else the layer's path and a slash.
  void visit_keras3(LayerImpl& layer, const h5::Group& root, const std::string& base,
                    std::set<const LayerImpl*>& visited) {
    const std::vector<SublayerGroup> groups = layer.sublayers();
    if (layer.variables().empty() && !groups.empty()) {
      // A container's own variables: strata's have none.
      if (auto found = find_group(root, base + "vars")) {
        const size_t n = root.open_group(*found).children().size();
        if (n != 0) {
          mismatch(fmt::format("'{}' ({}) has no variables of its own, the file has {} at {}", layer.name(),
                               layer.class_name(), n, *found));
        }
      }
    } else {
      load_keras3_layer(&layer, root, base.substr(0, base.size() - 1));
    }
    for (const SublayerGroup& group : groups) {
      std::map<std::string, int> used;
      std::set<std::string> consumed;
      for (LayerImpl* inner : group.layers) {
        const std::string key = group.list ? container_key(*inner, used) : group.attribute;
        consumed.insert(key);
        if (!visited.insert(inner).second) continue;
        const std::string path = group.list ? base + group.attribute + "/" + key : base + group.attribute;
        visit_keras3(*inner, root, path + "/", visited);
      }
      if (group.list) check_extra_keras3(layer, root, base + group.attribute, consumed);
    }
  }

  void load_keras3_layer(LayerImpl* layer, const h5::Group& root, const std::string& path) {
    const std::vector<Slot> slots = own_slots(layer, true);
    const std::optional<std::string> found = find_group(root, path + "/vars");
    if (!found) {
      if (!slots.empty()) {
        mismatch(fmt::format("Layer {} is missing from the file: it expects {} variables {} at {}/vars, the file has "
                             "none there",
                             layer_label(*layer), slots.size(), names_of(slots), path));
      }
      return;
    }
    const h5::Group vars = root.open_group(*found);
    const std::vector<std::string> keys = vars.children();
    if (keys.size() != slots.size()) {
      mismatch(fmt::format("Layer {} expects {} variables {}, the file has {} at {}", layer_label(*layer), slots.size(),
                           names_of(slots), keys.size(), *found));
      return;
    }
    std::vector<std::pair<Slot, Tensor>> values;
    for (size_t i = 0; i < slots.size(); ++i) {
      const std::string key = std::to_string(i);
      if (vars.kind(key) != h5::Kind::kDataset) {
        mismatch(fmt::format("Layer {} expects its variable '{}' at {}/{}, the file has none there (it has {})",
                             layer_label(*layer), name_of(slots[i]), *found, key, short_list(keys)));
        return;
      }
      std::optional<Tensor> value = read(vars.open_dataset(key), slots[i], "");
      if (!value) return;  // skipped: the whole layer keeps its weights
      values.emplace_back(slots[i], std::move(*value));
    }
    for (auto& [slot, value] : values) assign(slot, std::move(value));
  }

  // Keras ignores groups of the file that no layer asks for; strata calls a layer group with weights that
  // matches no layer of the model an extra layer.
  void check_extra_keras3(const LayerImpl& model, const h5::Group& root, const std::string& list_path,
                          const std::set<std::string>& consumed) {
    const std::optional<std::string> found = find_group(root, list_path);
    if (!found) return;
    const h5::Group layers = root.open_group(*found);
    for (const std::string& name : layers.children()) {
      if (consumed.contains(name) || !layers.holds_datasets(name)) continue;
      mismatch(fmt::format("The file has weights for a layer that model '{}' does not have: {}/{} matches none of its "
                           "layers {}",
                           model.name(), *found, name, consumed_list(consumed)));
    }
  }

  static std::string consumed_list(const std::set<std::string>& consumed) {
    return short_list(std::vector<std::string>(consumed.begin(), consumed.end()), 12);
  }

  // ------------------------------------------------------------------------------------------------------
  // Legacy Keras 2.

  // Keras's load_attributes_from_hdf5_group: `name`, or `name0`, `name1`, ... when it was split.
  static std::vector<std::string> read_chunked(const h5::Group& group, const std::string& name) {
    if (group.has_attribute(name)) return group.read_strings(name);
    std::vector<std::string> all;
    for (int chunk = 0; group.has_attribute(name + std::to_string(chunk)); ++chunk) {
      for (std::string& s : group.read_strings(name + std::to_string(chunk))) all.push_back(std::move(s));
    }
    return all;
  }

  struct SavedLayer {
    std::string name;
    std::vector<std::string> weight_names;
  };

  SavedLayer saved_layer(const h5::Group& root, const std::string& name) const {
    if (root.kind(name) != h5::Kind::kGroup) {
      throw h5::Failure(fmt::format("The attribute layer_names lists '{}', but the file has no group {} for it", name,
                                    name));
    }
    return {name, read_chunked(root.open_group(name), "weight_names")};
  }

  void load_legacy(FunctionalImpl& model, const h5::Group& root) {
    const std::vector<std::string> layer_names = read_chunked(root, "layer_names");
    if (options_.by_name) {
      load_legacy_by_name(model, root, layer_names);
    } else {
      load_legacy_in_order(model, root, layer_names);
    }
    check_top_level(root);
  }

  // Keras saves a model's own variables in `top_level_model_weights`; strata models have none.
  void check_top_level(const h5::Group& root) {
    if (root.kind("top_level_model_weights") != h5::Kind::kGroup) return;
    const std::vector<std::string> names = read_chunked(root.open_group("top_level_model_weights"), "weight_names");
    if (!names.empty()) {
      mismatch(fmt::format("The model has no top-level weights of its own, the file has {} in top_level_model_weights "
                           "{}",
                           names.size(), short_list(names)));
    }
  }

  void load_legacy_in_order(FunctionalImpl& model, const h5::Group& root, const std::vector<std::string>& layer_names) {
    std::vector<LayerImpl*> layers;
    for (LayerImpl* layer : keras_layers(model)) {
      if (!legacy_weights(layer, model.trainable).empty()) layers.push_back(layer);
    }
    std::vector<SavedLayer> saved;
    for (const std::string& name : layer_names) {
      SavedLayer s = saved_layer(root, name);
      if (!s.weight_names.empty()) saved.push_back(std::move(s));
    }
    if (saved.size() != layers.size()) {
      std::set<std::string> in_model, in_file;
      for (LayerImpl* l : layers) in_model.insert(l->name());
      for (const SavedLayer& s : saved) in_file.insert(s.name);
      std::vector<std::string> only_file, only_model;
      for (const SavedLayer& s : saved) {
        if (!in_model.contains(s.name)) only_file.push_back(s.name);
      }
      for (LayerImpl* l : layers) {
        if (!in_file.contains(l->name())) only_model.push_back(l->name());
      }
      // Keras's message, then which names differ.
      throw FileError(fmt::format("{} Layer count mismatch when loading weights from file. Model '{}' expected {} "
                                  "layers with weights, found {} saved layers with weights. Only in the file: {}; "
                                  "only in the model: {}",
                                  prefix_, model.name(), layers.size(), saved.size(), short_list(only_file),
                                  short_list(only_model)));
    }
    for (size_t k = 0; k < saved.size(); ++k) {
      const std::string where = fmt::format("layer #{} with weights, '{}' in the file", k, saved[k].name);
      load_legacy_layer(layers[k], root.open_group(saved[k].name), saved[k], where, model.trainable, false);
    }
  }

  void load_legacy_by_name(FunctionalImpl& model, const h5::Group& root, const std::vector<std::string>& layer_names) {
    std::map<std::string, LayerImpl*> index;
    for (LayerImpl* layer : keras_layers(model)) index[layer->name()] = layer;
    for (size_t k = 0; k < layer_names.size(); ++k) {
      const auto it = index.find(layer_names[k]);
      if (it == index.end()) continue;  // as Keras: file layers the model does not have are ignored
      const SavedLayer saved = saved_layer(root, layer_names[k]);
      const std::string where = fmt::format("layer #{} in the file", k);
      load_legacy_layer(it->second, root.open_group(layer_names[k]), saved, where, model.trainable, true);
    }
  }

  void load_legacy_layer(LayerImpl* layer, const h5::Group& group, const SavedLayer& saved, const std::string& where,
                         bool enclosing_trainable, bool count_may_skip) {
    const std::vector<Slot> slots = legacy_weights(layer, enclosing_trainable);
    if (saved.weight_names.size() != slots.size()) {
      const std::string message =
          fmt::format("Weight count mismatch for layer {} ({}): the layer expects {} weights {}, the file has {} {}",
                      layer_label(*layer), where, slots.size(), names_of(slots), saved.weight_names.size(),
                      short_list(saved.weight_names));
      if (!count_may_skip) throw FileError(fmt::format("{} {}", prefix_, message));  // as Keras, even with skip
      mismatch(message);
      return;
    }
    // Keras skips a mismatched weight on its own and loads the others of the layer.
    for (size_t i = 0; i < slots.size(); ++i) {
      const std::string& name = saved.weight_names[i];
      if (group.kind(name) != h5::Kind::kDataset) {
        throw h5::Failure(fmt::format("The group {} lists the weight '{}' in weight_names, but has no dataset there",
                                      group.path(), name));
      }
      if (std::optional<Tensor> value = read(group.open_dataset(name), slots[i], where)) {
        assign(slots[i], std::move(*value));
      }
    }
  }

  // Plan::set, recording the variable in the report.
  void assign(const Slot& slot, Tensor value) {
    report_.loaded.push_back(fmt::format("{}/{}", slot.layer->name(), name_of(slot)));
    plan_.set(slot, std::move(value));
  }

  static std::vector<std::string> layers_with_weights(FunctionalImpl& model) {
    std::vector<std::string> names;
    for (LayerImpl* layer : keras_layers(model)) {
      if (!layer->weights().empty()) names.push_back(layer->name());
    }
    return names;
  }

  std::string path_;
  LoadWeightsOptions options_;
  std::string prefix_;
  Plan plan_;
  LoadWeightsReport report_;
};

// ---------------------------------------------------------------------------------------------------------
// Saving: Keras 3's layout, with a group for every layer (empty when it has no variables) and the model's
// own empty `vars`, as Keras 3.0 to 3.9 write it (later versions leave empty groups out; both read both).

// Makes the groups along `path` that do not exist yet.
void make_groups(const h5::Group& root, const std::string& path) {
  for (size_t start = 0; start < path.size();) {
    const size_t slash = std::min(path.find('/', start), path.size());
    if (root.kind(path.substr(0, slash)) == h5::Kind::kMissing) {
      const std::string name = path.substr(start, slash - start);
      if (start == 0) {
        root.create_group(name);
      } else {
        root.open_group(path.substr(0, start - 1)).create_group(name);
      }
    }
    start = slash + 1;
  }
}

void save_keras3(LayerImpl& layer, const h5::Group& root, const std::string& base,
                 std::set<const LayerImpl*>& visited) {
  for (const SublayerGroup& group : layer.sublayers()) {
    std::map<std::string, int> used;
    for (LayerImpl* inner : group.layers) {
      const std::string key = group.list ? container_key(*inner, used) : group.attribute;
      if (!visited.insert(inner).second) continue;
      const std::string path = group.list ? base + group.attribute + "/" + key : base + group.attribute;
      make_groups(root, path + "/vars");
      const h5::Group vars = root.open_group(path + "/vars");
      const std::vector<Slot> slots = own_slots(inner, true);
      for (size_t i = 0; i < slots.size(); ++i) {
        const std::shared_ptr<const Tensor> value = variable_of(slots[i]).tensor();
        vars.write_floats(std::to_string(i), value->dims(), value->data());
      }
      save_keras3(*inner, root, path + "/", visited);
    }
  }
}

std::string temporary_name(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return fmt::format("{}.tmp-{}-{}", path, static_cast<long>(getpid()), counter.fetch_add(1));
}

}  // namespace

LoadWeightsReport detail::load_hdf5_weights(const Model& model, const std::string& path,
                                            const LoadWeightsOptions& options) {
  return Loader(path, options).load(model_of(model.impl()));
}

LoadWeightsReport Model::load_weights(const std::string& path, LoadWeightsOptions options) const {
  FunctionalImpl& model = model_of(impl_);
  if (detail::is_zip_file(path)) return detail::load_weights_from_archive(*this, path, options);
  return Loader(path, options).load(model);
}

void Model::save_weights(const std::string& path) const {
  FunctionalImpl& model = model_of(impl_);
  const std::string prefix = fmt::format("[save_weights \"{}\"]", path);
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw FileError(prefix + " It is a directory");
  // Write a new file under a temporary name, then rename it: a failure never leaves a half-written file
  // where a good one was.
  const std::string temporary = temporary_name(path);
  h5::QuietErrors quiet;
  try {
    h5::File file = h5::File::create(temporary);
    {
      const h5::Group root = file.root();
      root.create_group("vars");  // the model's own variables: none
      std::set<const LayerImpl*> visited;
      save_keras3(model, root, "", visited);
    }
    file.close();
  } catch (const h5::Failure& e) {
    fs::remove(temporary, ec);
    throw FileError(fmt::format("{} {}", prefix, e.what()));
  }
  fs::rename(temporary, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw FileError(fmt::format("{} Cannot move the written file into place: {}", prefix, ec.message()));
  }
}

}  // namespace strata
