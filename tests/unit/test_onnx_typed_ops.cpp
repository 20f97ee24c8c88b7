// ONNX export of the ops on any type (casts, comparisons, logical ops, where, integer arithmetic) and of
// models with int32, int64 and bool inputs and outputs: the graphs pass Debian's ONNX checker and ONNX
// Runtime computes what strata does, bitwise for integers and bools.
#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "onnx_runtime_util.hpp"
#include "strata/ops.hpp"

using namespace strata_test;
namespace ops = strata::ops;
using strata::DType;
using strata::Tensor;

TEST_CASE("typed ops export to ONNX and compute as strata in ONNX Runtime", "[onnx][dtypes]") {
  strata::clear_session();
  auto x = strata::Input({4, 5, 3}, "x");
  auto y = strata::Input({1, 5, 1}, "y");
  auto i = ops::cast(x * 10.5, "int32");
  auto j = ops::cast(y * 10.5, "int64");
  auto mask = ops::logical_and(ops::greater(x, y), ops::logical_not(ops::less_equal(x, -0.5)));
  auto k = ops::maximum(i * 3 - 2, ops::negative(i)) + ops::square(ops::absolute(i));
  auto any = ops::logical_or(ops::equal(i, 0), ops::not_equal(j, 2));
  auto chosen = ops::where(mask, x, ops::cast(j, "float32") * 0.5);
  auto cmp = ops::greater_equal(j, 1);
  strata::Model model({x, y}, {chosen, k, any, ops::where(cmp, j, -1), ops::minimum(j, 3)}, "typed_ops");
  const std::vector<Tensor> inputs = {random_input({2, 4, 5, 3}, 1), random_input({2, 1, 5, 1}, 2)};
  const onnx::ModelProto proto = export_and_match(model, inputs, "typed_ops");
  const std::string ops_text = op_summary(proto);
  INFO(ops_text);
  for (const char* op : {"Cast:", "Greater:", "And:", "Not:", "LessOrEqual:", "Max:", "Neg:", "Abs:",
                         "Equal:", "Or:", "Where:", "GreaterOrEqual:", "Min:"}) {
    CHECK(ops_text.find(op) != std::string::npos);
  }
}

TEST_CASE("models with int32, int64 and bool inputs export with those types", "[onnx][dtypes]") {
  strata::clear_session();
  auto ids = strata::Input({6}, {.name = "ids", .dtype = "int32"});
  auto big = strata::Input({6}, {.name = "big", .dtype = "int64"});
  auto keep = strata::Input({6}, {.name = "keep", .dtype = "bool"});
  auto mask = ops::logical_and(ops::not_equal(ids, 0), keep);
  auto sum = ops::where(mask, big + ids, 0);
  auto scaled = ops::cast(ops::transpose(ops::expand_dims(ids, 2), {0, 2, 1}), "float32") * 0.25;
  // Ordered comparisons of bools (ONNX has none on bool: compared as int32) and a strong bool number.
  auto ordered = ops::logical_or(ops::less(keep, mask), ops::equal(keep, false));
  strata::Model model({ids, big, keep}, {sum, mask, scaled, ordered}, "typed_inputs");
  const std::vector<Tensor> inputs = {
      Tensor::from_int32({2, 6}, {0, 1, -2, 3, 0, 7, 9, 0, 0, -1, 5, 2147483647}),
      Tensor::from_int64({2, 6}, {1, 2, 3, int64_t{1} << 40, -5, 6, 7, 8, 9, 10, 11, -(int64_t{1} << 50)}),
      Tensor::from_bool({2, 6}, {1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1})};
  export_and_match(model, inputs, "typed_inputs");
}
