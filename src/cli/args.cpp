#include "args.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace strata_cli {

Args::Args(std::string command, const std::vector<OptionSpec>& specs, const std::vector<std::string>& argv)
    : command_(std::move(command)) {
  bool only_positional = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& word = argv[i];
    if (only_positional || word.size() < 2 || word[0] != '-') {
      positional_.push_back(word);
      continue;
    }
    if (word == "--") {
      only_positional = true;
      continue;
    }
    if (word == "--help" || word == "-h") {
      help_ = true;
      continue;
    }
    std::string name;
    if (word.size() == 2 && word[1] != '-') {
      const auto spec = std::find_if(specs.begin(), specs.end(), [&](const OptionSpec& s) {
        return s.short_name != 0 && s.short_name == word[1];
      });
      if (spec == specs.end()) throw UsageError(fmt::format("unknown option '{}'", word));
      name = spec->name;
    } else if (word.rfind("--", 0) != 0) {
      throw UsageError(fmt::format("unknown option '{}' (options start with --)", word));
    } else {
      name = word.substr(2);
    }
    std::string value;
    bool has_inline_value = false;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_inline_value = true;
    }
    const auto spec =
        std::find_if(specs.begin(), specs.end(), [&](const OptionSpec& s) { return s.name == name; });
    if (spec == specs.end()) throw UsageError(fmt::format("unknown option '--{}'", name));
    if (spec->value.empty()) {
      if (has_inline_value) throw UsageError(fmt::format("option '--{}' takes no value", name));
    } else if (!has_inline_value) {
      if (i + 1 >= argv.size())
        throw UsageError(fmt::format("option '--{}' needs a value ({})", name, spec->value));
      value = argv[++i];
    }
    if (!spec->value.empty() && value.empty()) {
      throw UsageError(fmt::format("option '--{}' needs a value ({})", name, spec->value));
    }
    values_[name] = value;
  }
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
  const auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

int64_t Args::get_int(const std::string& name, int64_t fallback, int64_t minimum) const {
  if (!has(name)) return fallback;
  const std::string text = get(name);
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || errno != 0 || value < minimum) {
    throw UsageError(
        fmt::format("option '--{}' expects an integer of at least {}, received '{}'", name, minimum, text));
  }
  return value;
}

float Args::get_positive_float(const std::string& name, float fallback) const {
  if (!has(name)) return fallback;
  const std::string text = get(name);
  char* end = nullptr;
  const float value = std::strtof(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(value) || value <= 0.0f) {
    throw UsageError(fmt::format("option '--{}' expects a positive number, received '{}'", name, text));
  }
  return value;
}

void Args::expect_positional(size_t count, const std::string& what) const {
  if (positional_.size() < count) throw UsageError(fmt::format("missing {}", what));
  if (positional_.size() > count) {
    throw UsageError(fmt::format("unexpected argument '{}' (expected {})", positional_[count], what));
  }
}

std::string format_options(const std::vector<OptionSpec>& specs) {
  std::vector<std::string> heads;
  size_t width = 0;
  for (const OptionSpec& spec : specs) {
    heads.push_back((spec.short_name != 0 ? fmt::format("-{}, ", spec.short_name) : std::string()) + "--" +
                    spec.name + (spec.value.empty() ? "" : " " + spec.value));
    width = std::max(width, heads.back().size());
  }
  std::string text;
  for (size_t i = 0; i < specs.size(); ++i)
    text += fmt::format("  {:<{}}  {}\n", heads[i], width, specs[i].help);
  return text;
}

}  // namespace strata_cli
