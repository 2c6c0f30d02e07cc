// corral pull NAME / corral push NAME [--insecure]: move a model between the local store and an
// OCI registry (a pull resumes an interrupted one), with per-layer progress on stderr and a
// summary on stdout. With a server at CORRAL_HOST the server does the transfer into its store
// (POST /api/pull or /api/push, its progress stream drawn here); else this process does.
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/progress_bar.h"
#include "cli/store_cmds.h"
#include "registry/client.h"
#if CORRAL_WITH_SERVER
#include "cli/client.h"
#endif

namespace corral::cli {
namespace {

enum class Direction { kPull, kPush };

void print_summary(const std::string& shown, const registry::TransferStats& stats, bool pull) {
  if (pull) {
    std::printf("pulled %s: downloaded %zu blobs, %" PRIu64 " bytes (%" PRIu64
                " bytes resumed); %zu blobs already present\n",
                shown.c_str(), stats.blobs_transferred, stats.bytes_transferred, stats.bytes_resumed,
                stats.blobs_present);
  } else {
    std::printf("pushed %s: uploaded %zu blobs, %" PRIu64 " bytes; %zu mounted; %zu blobs already present\n",
                shown.c_str(), stats.blobs_transferred, stats.bytes_transferred, stats.blobs_mounted,
                stats.blobs_present);
  }
}

#if CORRAL_WITH_SERVER
int transfer_remote(ApiClient& client, const EnvConfig& env, const std::string& model, bool insecure,
                    bool pull) {
  // The name as the store would display it, checked before anything is sent.
  store::NameDefaults defaults;
  if (!env.registry.empty()) defaults.host = env.registry;
  auto name = store::ModelName::parse(model, defaults);
  if (!name.ok()) return print_error(name.status());
  TransferProgress bar(stderr);
  registry::TransferStats stats;
  bool success = false;
  Status s = client.post_stream(pull ? "/api/pull" : "/api/push",
                                {{"model", model}, {"insecure", insecure}, {"stream", true}},
                                [&](const nlohmann::json& line) {
                                  registry::Progress p;
                                  p.status = line.value("status", "");
                                  p.digest = line.value("digest", "");
                                  p.total = line.value("total", uint64_t{0});
                                  p.completed = line.value("completed", uint64_t{0});
                                  p.done = !p.digest.empty() && p.total > 0 && p.completed >= p.total;
                                  if (p.status == "success" && p.digest.empty()) {
                                    success = true;
                                    const nlohmann::json st = line.value("stats", nlohmann::json::object());
                                    stats.blobs_transferred = st.value("blobs_transferred", size_t{0});
                                    stats.bytes_transferred = st.value("bytes_transferred", uint64_t{0});
                                    stats.blobs_present = st.value("blobs_present", size_t{0});
                                    stats.bytes_resumed = st.value("bytes_resumed", uint64_t{0});
                                    stats.blobs_mounted = st.value("blobs_mounted", size_t{0});
                                  }
                                  bar.update(p);
                                  return true;
                                });
  bar.finish();
  if (!s.ok()) return print_error(s);
  if (!success)
    return print_error(unavailable("the server's %s stream ended before success", pull ? "pull" : "push"));
  print_summary(name->display(defaults), stats, pull);
  return 0;
}
#endif

Command add_transfer_command(CLI::App& app, Direction dir) {
  struct Options {
    std::string name;
    bool insecure = false;
  };
  auto o = std::make_shared<Options>();
  const bool pull = dir == Direction::kPull;
  CLI::App* sub = app.add_subcommand(pull ? "pull" : "push",
                                     pull ? "Pull a model from a registry" : "Push a model to a registry");
  sub->add_option("name", o->name, "Model name: [host/][namespace/]model[:tag]")->required();
  sub->add_flag("--insecure", o->insecure, "Use plain HTTP (a registry without TLS)");
  return {sub, [o, pull](Runtime& runtime) -> int {
#if CORRAL_WITH_SERVER
            auto server = ApiClient::connect_if_running(runtime.env());
            if (!server.ok()) return print_error(server.status());
            if (*server) return transfer_remote(**server, runtime.env(), o->name, o->insecure, pull);
#endif
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
            print_summary(name->display(st->defaults()), *stats, pull);
            return 0;
          }};
}

}  // namespace

Command add_pull_command(CLI::App& app) {
  return add_transfer_command(app, Direction::kPull);
}
Command add_push_command(CLI::App& app) {
  return add_transfer_command(app, Direction::kPush);
}

}  // namespace corral::cli
