#pragma once
// Command-line parsing for the `strata` tool: each command declares its options, and Args checks argv
// against them, so an unknown flag or a missing value is a usage error naming the flag.

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace strata_cli {

/// A mistake on the command line (unknown command, model or flag, missing or malformed value). main prints
/// it with a pointer to `--help` and exits with status 2.
class UsageError : public std::runtime_error {
 public:
  /// Creates a usage error with the message shown to the user.
  using std::runtime_error::runtime_error;
};

/// One option a command accepts: `--name VALUE` (or `--name=VALUE`), or a switch when `value` is empty.
struct OptionSpec {
  /// The flag without its dashes, e.g. "batch".
  std::string name;
  /// The placeholder of its value in help texts, e.g. "N"; empty for a switch.
  std::string value;
  /// One line of help.
  std::string help;
  /// A one-letter spelling, `-o` for `--output`; 0 for none.
  char short_name = 0;
};

/// A command's arguments, checked against its options: positional arguments in order, options by name.
class Args {
 public:
  /// Parses `argv` (the words after the command name). `--help`/`-h` is always accepted. Throws UsageError
  /// for an unknown flag, a switch given a value, or an option without its value.
  Args(std::string command, const std::vector<OptionSpec>& specs, const std::vector<std::string>& argv);

  /// Whether `--help` or `-h` was given.
  bool help() const { return help_; }
  /// The arguments that are not options, in order.
  const std::vector<std::string>& positional() const { return positional_; }
  /// Whether the option was given.
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  /// The option's value, or `fallback` when it was not given.
  std::string get(const std::string& name, const std::string& fallback = "") const;
  /// The option's value as an integer of at least `minimum`. Throws UsageError for anything else.
  int64_t get_int(const std::string& name, int64_t fallback, int64_t minimum) const;
  /// The option's value as a finite positive number. Throws UsageError for anything else.
  float get_positive_float(const std::string& name, float fallback) const;
  /// Throws UsageError unless there are exactly `count` positional arguments, named in `what`.
  void expect_positional(size_t count, const std::string& what) const;
  /// The command these arguments belong to, e.g. "predict".
  const std::string& command() const { return command_; }

 private:
  std::string command_;
  bool help_ = false;
  std::vector<std::string> positional_;
  std::map<std::string, std::string> values_;
};

/// The options block of a help text: one line per option, aligned.
std::string format_options(const std::vector<OptionSpec>& specs);

}  // namespace strata_cli
