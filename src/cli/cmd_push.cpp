// corral push NAME [--insecure]: uploads a stored model to an OCI registry (blobs the registry
// already has are skipped), with per-layer progress on stderr and a summary on stdout.
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/progress_bar.h"
#include "cli/store_cmds.h"
#include "registry/client.h"

namespace corral::cli {

Command add_push_command(CLI::App& app) {
  struct Options {
    std::string name;
    bool insecure = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("push", "Push a model to a registry");
  sub->add_option("name", o->name, "Model name: [host/][namespace/]model[:tag]")->required();
  sub->add_flag("--insecure", o->insecure, "Use plain HTTP (a registry without TLS)");
  return {sub, [o](Runtime& runtime) -> int {
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
    TransferProgress bar(stderr);
    auto stats = registry::RegistryClient(options).push(*st, *name, [&bar](const registry::Progress& p) { bar.update(p); });
    bar.finish();
    if (!stats.ok()) return print_error(stats.status());
    std::printf("pushed %s: uploaded %zu blobs, %" PRIu64 " bytes; %zu mounted; %zu blobs already present\n",
                name->display(st->defaults()).c_str(), stats->blobs_transferred, stats->bytes_transferred,
                stats->blobs_mounted, stats->blobs_present);
    return 0;
  }};
}

}  // namespace corral::cli
