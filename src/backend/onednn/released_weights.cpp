#include "backend/onednn/released_weights.hpp"

#include <mutex>
#include <span>

namespace strata::onednn {
namespace {

using detail::WeightCorrections;
using dnnl::memory;

std::vector<float> reorder_to(const memory& copy, const memory::desc& keras_desc, int64_t elements) {
  std::vector<float> values(static_cast<size_t>(elements));
  memory user(keras_desc, copy.get_engine(), values.data());
  memory source = copy;  // a handle to the same buffer: execute takes non-const handles
  dnnl::stream stream(copy.get_engine());
  dnnl::reorder(source, user).execute(stream, source, user);
  stream.wait();
  return values;
}

std::span<const float> scale_of(const std::shared_ptr<const Tensor>& scale) {
  return scale ? std::span<const float>(scale->data(), static_cast<size_t>(scale->size()))
               : std::span<const float>();
}

class OnednnReleasedWeight final : public ReleasedWeight {
 public:
  OnednnReleasedWeight(std::vector<int64_t> dims, std::shared_ptr<const Tensor> scale,
                       memory::desc keras_desc, std::shared_ptr<memory> copy, WeightCorrections corrections)
      : dims_(std::move(dims)),
        scale_(std::move(scale)),
        keras_desc_(keras_desc),
        copy_(std::move(copy)),
        corrections_(std::move(corrections)) {}

  const std::vector<int64_t>& dims() const override { return dims_; }

  size_t overhead_bytes() const override { return corrections_.bytes(); }

  std::shared_ptr<const Tensor> materialize() const override {
    // One lock for the whole rebuild: concurrent callers (predicts building new plans, get_weights) wait for
    // the first one's tensor instead of each making their own.
    std::lock_guard lock(mutex_);
    if (std::shared_ptr<const Tensor> alive = materialized_.lock()) return alive;
    std::vector<float> values = reorder_to(*copy_, keras_desc_, element_count(dims_));
    detail::apply_corrections(values, scale_of(scale_), dims_.back(), corrections_);
    auto tensor = std::make_shared<const Tensor>(dims_, std::move(values));
    // A plan built from this tensor (another input shape) finds the copy it would make already there.
    reordered_weights().put({tensor, scale_}, copy_->get_desc(), copy_);
    materialized_ = tensor;
    return tensor;
  }

 private:
  std::vector<int64_t> dims_;
  std::shared_ptr<const Tensor> scale_;
  memory::desc keras_desc_;
  std::shared_ptr<memory> copy_;  // shared with the plans, so it outlives the plan that made it
  WeightCorrections corrections_;
  mutable std::mutex mutex_;
  mutable std::weak_ptr<const Tensor> materialized_;
};

}  // namespace

DerivedCache<memory, memory::desc>& reordered_weights() {
  static DerivedCache<memory, memory::desc> cache;
  return cache;
}

std::shared_ptr<const ReleasedWeight> release_weight(const std::shared_ptr<const Tensor>& weight,
                                                     const std::shared_ptr<const Tensor>& scale,
                                                     const memory::desc& keras_desc,
                                                     const std::shared_ptr<memory>& copy) {
  const dnnl_memory_desc_t& d = copy->get_desc().data;
  // A blocked float32 copy is a permutation (plus zero padding) of the scaled kernel; Winograd's transform
  // and bfloat16's rounding cannot be undone.
  if (d.format_kind != dnnl_blocked || d.data_type != dnnl_f32 || weight->dims().empty() ||
      keras_desc.get_size() != static_cast<size_t>(weight->size()) * sizeof(float)) {
    return nullptr;
  }
  const std::vector<float> scaled = reorder_to(*copy, keras_desc, weight->size());
  std::optional<WeightCorrections> corrections =
      detail::encode_corrections(weight->values(), scaled, scale_of(scale), weight->dims().back());
  if (!corrections) return nullptr;
  return std::make_shared<const OnednnReleasedWeight>(weight->dims(), scale, keras_desc, copy,
                                                      std::move(*corrections));
}

}  // namespace strata::onednn
