// corral cp SRC DST: copies a model's manifest under a new name (blobs are shared); through
// POST /api/copy when a server answers at CORRAL_HOST, else in this process's store.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/store_cmds.h"
#if CORRAL_WITH_SERVER
#include "cli/client.h"
#endif

namespace corral::cli {
namespace {

Status copy_local(Runtime& runtime, const std::string& src, const std::string& dst) {
  CORRAL_ASSIGN_OR_RETURN(store::Store st, open_store(runtime));
  CORRAL_ASSIGN_OR_RETURN(store::ModelName from, st.parse_name(src));
  CORRAL_ASSIGN_OR_RETURN(store::ModelName to, st.parse_name(dst));
  if (!st.has_model(from)) return not_found("model '%s' not found", src.c_str());
  return st.copy(from, to);
}

Status copy(Runtime& runtime, const std::string& src, const std::string& dst) {
#if CORRAL_WITH_SERVER
  CORRAL_ASSIGN_OR_RETURN(std::optional<ApiClient> client, ApiClient::connect_if_running(runtime.env()));
  if (client) return client->post("/api/copy", {{"source", src}, {"destination", dst}}).status();
#endif
  return copy_local(runtime, src, dst);
}

}  // namespace

Command add_cp_command(CLI::App& app) {
  auto src = std::make_shared<std::string>();
  auto dst = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("cp", "Copy a model");
  sub->add_option("source", *src, "Existing model")->required();
  sub->add_option("destination", *dst, "New name")->required();
  return {sub, [src, dst](Runtime& runtime) -> int {
            Status s = copy(runtime, *src, *dst);
            if (!s.ok()) return print_error(s);
            std::printf("copied '%s' to '%s'\n", src->c_str(), dst->c_str());
            return 0;
          }};
}

}  // namespace corral::cli
