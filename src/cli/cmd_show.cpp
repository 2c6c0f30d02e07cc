// corral show [--tensors] [--json] PATH|MODEL. A model name is resolved by the server at
// CORRAL_HOST when one answers (POST /api/show), else by the store in this process
// (server::show_model, the same reply); both print the same summary (Model, Parameters, System,
// License). --tensors on a name lists the tensors of the model's GGUF blob, whose path the
// server's reply names (the server runs on this machine: CORRAL_HOST is loopback by default).
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/store_cmds.h"
#include "formats/gguf.h"
#include "formats/tensor_listing.h"
#include "util/file.h"
#if CORRAL_WITH_SERVER
#include "cli/client.h"
#include "server/models.h"
#endif

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

#if CORRAL_WITH_SERVER
// The /api/show reply for a model name: from the server when one answers, else in-process.
Result<nlohmann::json> show_reply(Runtime& runtime, const std::string& name) {
  CORRAL_ASSIGN_OR_RETURN(std::optional<ApiClient> client, ApiClient::connect_if_running(runtime.env()));
  if (client) return client->post("/api/show", {{"model", name}});
  CORRAL_ASSIGN_OR_RETURN(store::Store st, open_store(runtime));
  server::DetailsCache details;
  CORRAL_ASSIGN_OR_RETURN(server::Json reply, server::show_model(st, details, name));
  return nlohmann::json(reply);
}

// The blob path after "FROM " in the reply's modelfile.
Result<std::string> model_path_of(const nlohmann::json& reply, const std::string& name) {
  const std::string modelfile = reply.value("modelfile", "");
  for (size_t pos = 0; pos < modelfile.size();) {
    size_t end = modelfile.find('\n', pos);
    if (end == std::string::npos) end = modelfile.size();
    std::string_view line(modelfile.data() + pos, end - pos);
    if (line.starts_with("FROM ")) return std::string(line.substr(5));
    pos = end + 1;
  }
  return corrupt("the description of model '%s' names no model file", name.c_str());
}

std::string scalar_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

void print_section(const char* title, const std::vector<std::pair<std::string, std::string>>& rows) {
  if (rows.empty()) return;
  size_t width = 0;
  for (const auto& [k, v] : rows) width = std::max(width, k.size());
  std::printf("  %s\n", title);
  for (const auto& [k, v] : rows) {
    if (k.empty())
      std::printf("    %s\n", v.c_str());
    else
      std::printf("    %-*s    %s\n", static_cast<int>(width), k.c_str(), v.c_str());
  }
  std::printf("\n");
}

std::vector<std::pair<std::string, std::string>> text_rows(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> rows;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    rows.emplace_back("", text.substr(pos, end - pos));
    pos = end + 1;
  }
  while (!rows.empty() && rows.back().second.empty()) rows.pop_back();
  return rows;
}

// The summary Ollama's `show` prints: model facts, parameters, system message, license.
void print_show(const nlohmann::json& reply) {
  const nlohmann::json details = reply.value("details", nlohmann::json::object());
  const nlohmann::json info = reply.value("model_info", nlohmann::json::object());
  const std::string arch =
      info.is_object() ? scalar_text(info.value("general.architecture", nlohmann::json())) : "";
  std::vector<std::pair<std::string, std::string>> model = {
      {"architecture", arch}, {"parameters", details.value("parameter_size", "")}};
  if (info.is_object()) {
    for (const auto& [key, label] : {std::pair{".context_length", "context length"},
                                     std::pair{".embedding_length", "embedding length"}}) {
      auto it = info.find(arch + key);
      if (it != info.end() && !it->is_null()) model.emplace_back(label, scalar_text(*it));
    }
  }
  model.emplace_back("quantization", details.value("quantization_level", ""));
  print_section("Model", model);
  std::vector<std::pair<std::string, std::string>> params;
  for (auto& [k, v] : text_rows(reply.value("parameters", ""))) {
    const size_t sp = v.find(' ');
    if (sp == std::string::npos) continue;
    const size_t val = v.find_first_not_of(' ', sp);
    params.emplace_back(v.substr(0, sp), val == std::string::npos ? "" : v.substr(val));
  }
  print_section("Parameters", params);
  print_section("System", text_rows(reply.value("system", "")));
  print_section("License", text_rows(reply.value("license", "")));
}
#endif

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
            if (!path_exists(opt->target)) {  // not a file or folder: a model name
#if CORRAL_WITH_SERVER
              Result<nlohmann::json> reply = show_reply(runtime, opt->target);
              if (!reply.ok()) return print_error(reply.status());
              if (!opt->tensors) {
                if (opt->json)
                  std::printf("%s\n", reply->dump().c_str());
                else
                  print_show(*reply);
                return 0;
              }
              Result<std::string> blob = model_path_of(*reply, opt->target);
#else
      Result<std::string> blob = store_model_path(runtime, opt->target);
#endif
              if (!blob.ok()) return print_error(blob.status());
              opt->target = *blob;
              from_store = true;
            }
            if (opt->tensors) return show_tensors(*opt);
            if (from_store ||
                (opt->target.size() >= 5 && opt->target.compare(opt->target.size() - 5, 5, ".gguf") == 0)) {
              return show_gguf(*opt);
            }
            std::fprintf(stderr, "Error: show without --tensors is not available yet\n");
            return 1;
          }};
}

}  // namespace corral::cli
