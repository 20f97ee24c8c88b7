// `strata`: the main jobs of the library from the command line (issue 5): summary, predict, export, plot and
// bench for ResNet50, MobileNetV2 and the seed blocks. Usage errors exit with 2, library errors with 1, both
// with a message on stderr; see docs/cli.md.
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <strata/error.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "models.hpp"

namespace {

using strata_cli::Command;
using strata_cli::commands;

std::string tool_help() {
  std::string text =
      "usage: strata COMMAND MODEL [options]\n"
      "\n"
      "The main jobs of strata (the Keras functional API in C++, compiled to oneDNN) without writing C++.\n"
      "\n"
      "commands:\n";
  for (const Command& command : commands())
    text += fmt::format("  {:<8}  {}\n", command.name, command.summary);
  text += "\nMODEL is one of:\n" + strata_cli::models_help();
  text += "\n'strata COMMAND --help' shows a command's options; docs/cli.md has worked examples.\n";
  return text;
}

void print_error(const std::string& command, const std::string& message) {
  std::fputs(fmt::format("strata{}: error: {}\n", command.empty() ? "" : " " + command, message).c_str(),
             stderr);
}

int run(const std::vector<std::string>& argv) {
  if (argv.empty()) {
    std::fputs(tool_help().c_str(), stderr);
    return 2;
  }
  const std::string& name = argv[0];
  if (name == "--help" || name == "-h" || name == "help") {
    std::fputs(tool_help().c_str(), stdout);
    return 0;
  }
  const Command* command = nullptr;
  for (const Command& c : commands()) {
    if (c.name == name) command = &c;
  }
  if (command == nullptr) {
    print_error(
        "", fmt::format("unknown command '{}' (expected summary, predict, export, plot, bench or layers; see "
                        "'strata --help')",
                        name));
    return 2;
  }
  try {
    const strata_cli::Args args(name, command->options, {argv.begin() + 1, argv.end()});
    if (args.help()) {
      std::fputs(strata_cli::command_help(*command).c_str(), stdout);
      return 0;
    }
    return command->run(args);
  } catch (const strata_cli::UsageError& e) {
    print_error(name, fmt::format("{} (see 'strata {} --help')", e.what(), name));
    return 2;
  } catch (const strata::Error& e) {
    print_error(name, e.what());
    return 1;
  } catch (const std::exception& e) {
    print_error(name, e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    print_error("", e.what());
  } catch (...) {
    print_error("", "unknown failure");
  }
  return 1;
}
