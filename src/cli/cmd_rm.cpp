// corral rm NAME...: removes models. With a server at CORRAL_HOST, DELETE /api/delete for each
// (the server unloads the model and prunes its blobs); else the manifests are removed from the
// store in this process, then blobs no model uses are pruned.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/store_cmds.h"
#if CORRAL_WITH_SERVER
#include "cli/client.h"
#endif

namespace corral::cli {
namespace {

Status remove_local(store::Store& st, const std::string& n) {
  CORRAL_ASSIGN_OR_RETURN(store::ModelName name, st.parse_name(n));
  if (!st.has_model(name)) return not_found("model '%s' not found", n.c_str());
  return st.remove(name, /*prune=*/true);
}

}  // namespace

Command add_rm_command(CLI::App& app) {
  auto names = std::make_shared<std::vector<std::string>>();
  CLI::App* sub = app.add_subcommand("rm", "Remove models from the local store");
  sub->add_option("names", *names, "Model names")->required();
  return {sub, [names](Runtime& runtime) -> int {
            std::function<Status(const std::string&)> remove;
#if CORRAL_WITH_SERVER
            auto client = ApiClient::connect_if_running(runtime.env());
            if (!client.ok()) return print_error(client.status());
            if (*client) {
              remove = [&client](const std::string& n) {
                return (*client)->del("/api/delete", {{"model", n}}).status();
              };
            }
#endif
            std::optional<store::Store> st;
            if (!remove) {
              auto opened = open_store(runtime);
              if (!opened.ok()) return print_error(opened.status());
              st.emplace(std::move(opened).value());
              remove = [&st](const std::string& n) { return remove_local(*st, n); };
            }
            int rc = 0;
            for (const std::string& n : *names) {
              Status s = remove(n);
              if (!s.ok()) {
                rc = print_error(s);
                continue;
              }
              std::printf("deleted '%s'\n", n.c_str());
            }
            return rc;
          }};
}

}  // namespace corral::cli
