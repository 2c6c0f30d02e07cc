// corral pull NAME / corral push NAME [--insecure]: move a model between the local store and an
// OCI registry (a pull resumes an interrupted one), with per-layer progress on stderr and a
// summary on stdout.
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/progress_bar.h"
#include "cli/store_cmds.h"
#include "registry/client.h"

namespace corral::cli {
namespace {

enum class Direction { kPull, kPush };

Command add_transfer_command(CLI::App& app, Direction dir) {
  struct Options {
    std::string name;
    bool insecure = false;
  };
  auto o = std::make_shared<Options>();
  const bool pull = dir == Direction::kPull;
  CLI::App* sub = app.add_subcommand(pull ? "pull" : "push", pull ? "Pull a model from a registry" : "Push a model to a registry");
  sub->add_option("name", o->name, "Model name: [host/][namespace/]model[:tag]")->required();
  sub->add_flag("--insecure", o->insecure, "Use plain HTTP (a registry without TLS)");
  return {sub, [o, pull](Runtime& runtime) -> int {
    auto st = open_store(runtime);
    if (!st.ok()) return print_error(st.status());
    auto name = st->parse_name(o->name);
    if (!name.ok()) return print_error(name.status());
    const EnvConfig& env = runtime.env();
    auto creds = registry::load_credentials(env.registry_auth, env.registry_auth_file, name->host());
    if (!creds.ok()) return print_error(creds.status());
    registry::RegistryOptions options;
    options.insecure = o->insecure;
    options.credentials = *creds;
    registry::RegistryClient client(options);
    TransferProgress bar(stderr);
    auto on_progress = [&bar](const registry::Progress& p) { bar.update(p); };
    auto stats = pull ? client.pull(*st, *name, on_progress) : client.push(*st, *name, on_progress);
    bar.finish();
    if (!stats.ok()) return print_error(stats.status());
    const std::string shown = name->display(st->defaults());
    if (pull) {
      std::printf("pulled %s: downloaded %zu blobs, %" PRIu64 " bytes (%" PRIu64 " bytes resumed); %zu blobs already present\n",
                  shown.c_str(), stats->blobs_transferred, stats->bytes_transferred, stats->bytes_resumed,
                  stats->blobs_present);
    } else {
      std::printf("pushed %s: uploaded %zu blobs, %" PRIu64 " bytes; %zu mounted; %zu blobs already present\n",
                  shown.c_str(), stats->blobs_transferred, stats->bytes_transferred, stats->blobs_mounted,
                  stats->blobs_present);
    }
    return 0;
  }};
}

}  // namespace

Command add_pull_command(CLI::App& app) { return add_transfer_command(app, Direction::kPull); }
Command add_push_command(CLI::App& app) { return add_transfer_command(app, Direction::kPush); }

}  // namespace corral::cli
