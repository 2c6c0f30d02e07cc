// corral rm NAME...: removes models (their manifests), then prunes blobs no model uses.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/store_cmds.h"

namespace corral::cli {

Command add_rm_command(CLI::App& app) {
  auto names = std::make_shared<std::vector<std::string>>();
  CLI::App* sub = app.add_subcommand("rm", "Remove models from the local store");
  sub->add_option("names", *names, "Model names")->required();
  return {sub, [names](Runtime& runtime) -> int {
    auto st = open_store(runtime);
    if (!st.ok()) return print_error(st.status());
    int rc = 0;
    for (const std::string& n : *names) {
      auto name = st->parse_name(n);
      if (!name.ok()) { rc = print_error(name.status()); continue; }
      if (!st->has_model(*name)) {
        rc = print_error(not_found("model '%s' not found", n.c_str()));
        continue;
      }
      Status s = st->remove(*name, /*prune=*/true);
      if (!s.ok()) { rc = print_error(s); continue; }
      std::printf("deleted '%s'\n", n.c_str());
    }
    return rc;
  }};
}

}  // namespace corral::cli
