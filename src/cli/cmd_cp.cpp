// corral cp SRC DST: copies a model's manifest under a new name (blobs are shared).
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/store_cmds.h"

namespace corral::cli {

Command add_cp_command(CLI::App& app) {
  auto src = std::make_shared<std::string>();
  auto dst = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("cp", "Copy a model");
  sub->add_option("source", *src, "Existing model")->required();
  sub->add_option("destination", *dst, "New name")->required();
  return {sub, [src, dst](Runtime& runtime) -> int {
    auto st = open_store(runtime);
    if (!st.ok()) return print_error(st.status());
    auto from = st->parse_name(*src);
    if (!from.ok()) return print_error(from.status());
    auto to = st->parse_name(*dst);
    if (!to.ok()) return print_error(to.status());
    if (!st->has_model(*from)) return print_error(not_found("model '%s' not found", src->c_str()));
    Status s = st->copy(*from, *to);
    if (!s.ok()) return print_error(s);
    std::printf("copied '%s' to '%s'\n", src->c_str(), dst->c_str());
    return 0;
  }};
}

}  // namespace corral::cli
