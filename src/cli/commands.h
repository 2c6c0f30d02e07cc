// The `corral` subcommands. Each registers its options on the CLI11 app and runs with the
// Runtime. Commands print user errors as `Error: <message>` and return a non-zero exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "runtime/runtime.h"

namespace corral::cli {

// A registered command: the subcommand it added and the action to run when it is selected.
using Action = std::function<int(Runtime&)>;
struct Command {
  CLI::App* sub;
  Action run;
};

Command add_show_command(CLI::App& app);
Command add_serve_command(CLI::App& app);
Command add_ps_command(CLI::App& app);
Command add_stop_command(CLI::App& app);
Command add_create_command(CLI::App& app);
Command add_list_command(CLI::App& app);
Command add_rm_command(CLI::App& app);
Command add_cp_command(CLI::App& app);
Command add_quantize_command(CLI::App& app);
Command add_run_command(CLI::App& app);
Command add_bench_command(CLI::App& app);
Command add_pull_command(CLI::App& app);
Command add_push_command(CLI::App& app);

}  // namespace corral::cli
