// corral: a local LLM engine and model manager.
#include <cstdio>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"corral: a local LLM engine and model manager"};
  app.set_version_flag("-v,--version", std::string("corral version ") + CORRAL_VERSION);
  app.require_subcommand(1);

  std::vector<corral::cli::Command> commands;
  commands.push_back(corral::cli::add_show_command(app));
#ifdef CORRAL_WITH_SERVER
  commands.push_back(corral::cli::add_serve_command(app));
  commands.push_back(corral::cli::add_ps_command(app));
  commands.push_back(corral::cli::add_stop_command(app));
#endif
  commands.push_back(corral::cli::add_create_command(app));
  commands.push_back(corral::cli::add_list_command(app));
  commands.push_back(corral::cli::add_rm_command(app));
  commands.push_back(corral::cli::add_cp_command(app));
  commands.push_back(corral::cli::add_quantize_command(app));
  commands.push_back(corral::cli::add_run_command(app));
  commands.push_back(corral::cli::add_bench_command(app));
  commands.push_back(corral::cli::add_pull_command(app));
  commands.push_back(corral::cli::add_push_command(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  corral::Runtime runtime(corral::load_env_config());
  for (auto& command : commands) {
    if (command.sub->parsed()) return command.run(runtime);
  }
  return 1;
}
