#pragma once
// The `strata` tool's commands: each has a name, a usage line, a description, its options and a runner.

#include <functional>
#include <string>
#include <vector>

#include "args.hpp"

namespace strata_cli {

/// One command of the tool.
struct Command {
  /// The word after `strata`, e.g. "predict".
  std::string name;
  /// The usage line after `strata NAME`, e.g. "MODEL --input X.npy --output Y.npy".
  std::string usage;
  /// One line for the tool's help.
  std::string summary;
  /// Paragraphs for the command's help, after the usage line.
  std::string description;
  /// The options it accepts (besides --help).
  std::vector<OptionSpec> options;
  /// Runs the command; returns the exit status.
  std::function<int(const Args&)> run;
};

/// Every command, in the order the help lists them.
const std::vector<Command>& commands();

/// The help text of one command.
std::string command_help(const Command& command);

}  // namespace strata_cli
