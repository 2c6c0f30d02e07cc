// corral show [--tensors] [--json] PATH|MODEL
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "cli/store_cmds.h"
#include "formats/gguf.h"
#include "formats/tensor_listing.h"
#include "util/file.h"

namespace corral::cli {
namespace {

struct ShowOptions {
  std::string target;
  bool tensors = false;
  bool json = false;
};

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

int show_tensors(const ShowOptions& opt) {
  Result<CheckpointListing> listing = list_checkpoint_tensors(opt.target);
  if (!listing.ok()) {
    std::fprintf(stderr, "Error: %s\n", listing.status().to_string().c_str());
    return 1;
  }
  if (opt.json) {
    nlohmann::ordered_json out;
    out["tensors"] = nlohmann::ordered_json::array();
    for (const auto& t : listing->tensors) {
      out["tensors"].push_back({{"name", t.name}, {"shape", t.shape}, {"dtype", t.dtype}});
    }
    out["parameters"] = listing->parameters();
    out["bytes"] = listing->bytes();
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  for (const auto& t : listing->tensors) {
    std::printf("%-48s %-24s %s\n", t.name.c_str(), shape_string(t.shape).c_str(), t.dtype.c_str());
  }
  std::printf("parameters %" PRIu64 "\nbytes %" PRIu64 "\n", listing->parameters(), listing->bytes());
  return 0;
}

int show_gguf(const ShowOptions& opt) {
  Result<GgufFile> file = GgufFile::open(opt.target);
  if (!file.ok()) {
    std::fprintf(stderr, "Error: %s\n", file.status().to_string().c_str());
    return 1;
  }
  std::fputs(gguf_summary(*file).c_str(), stdout);
  return 0;
}

}  // namespace

Command add_show_command(CLI::App& app) {
  auto opt = std::make_shared<ShowOptions>();
  CLI::App* sub = app.add_subcommand("show", "Show information about a model or checkpoint");
  sub->add_option("target", opt->target, "GGUF, safetensors, PyTorch checkpoint, HF directory or model name")
      ->required();
  sub->add_flag("--tensors", opt->tensors, "List every tensor: name, shape (outermost-first), dtype");
  sub->add_flag("--json", opt->json, "Print JSON");
  return {sub, [opt](Runtime& runtime) -> int {
    bool from_store = false;
    if (!path_exists(opt->target)) {  // not a file or folder: a model name in the store
      Result<std::string> blob = store_model_path(runtime, opt->target);
      if (!blob.ok()) return print_error(blob.status());
      opt->target = *blob;
      from_store = true;
    }
    if (opt->tensors) return show_tensors(*opt);
    if (from_store || (opt->target.size() >= 5 && opt->target.compare(opt->target.size() - 5, 5, ".gguf") == 0)) {
      return show_gguf(*opt);
    }
    std::fprintf(stderr, "Error: show without --tensors is not available yet\n");
    return 1;
  }};
}

}  // namespace corral::cli
