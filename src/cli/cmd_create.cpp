// corral create NAME -f Modelfile [--quantize TYPE]: parses the Modelfile (relative FROM paths
// resolve against its folder). With a server at CORRAL_HOST, as Ollama's CLI does: a FROM file
// (GGUF) or folder (HF checkpoint) is uploaded with HEAD/POST /api/blobs/:digest, then POST
// /api/create carries the name, the files or base model and the Modelfile's other instructions,
// and the streamed statuses print to stderr. Without a server, store::create_model builds the
// model in this process with the same progress lines.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "cli/commands.h"
#include "cli/store_cmds.h"
#include "convert/quant_types.h"
#include "store/create.h"
#include "store/modelfile.h"
#if CORRAL_WITH_SERVER
#include "cli/client.h"
#include "store/digest.h"
#endif

namespace corral::cli {
namespace {

namespace fs = std::filesystem;

struct CreateOptions {
  std::string name;
  std::string modelfile = "Modelfile";
  std::string quantize;
  int threads = 0;
};

Result<store::Modelfile> read_modelfile(const CreateOptions& opt, const store::NameDefaults& defaults) {
  store::ModelfileOptions mopts;
  mopts.base_dir = fs::path(opt.modelfile).parent_path().string();
  if (mopts.base_dir.empty()) mopts.base_dir = ".";
  mopts.defaults = defaults;
  CORRAL_ASSIGN_OR_RETURN(store::Modelfile mf, store::parse_modelfile_file(opt.modelfile, mopts));
  if (mf.from.kind == store::FromKind::kPath && !fs::path(mf.from.value).is_absolute() &&
      mf.from.value.rfind("~", 0) != 0) {
    mf.from.value = (fs::path(mopts.base_dir) / mf.from.value).lexically_normal().string();
  }
  return mf;
}

#if CORRAL_WITH_SERVER
// Uploads one file as a blob unless the server has it; returns its digest.
Result<std::string> upload_blob(ApiClient& client, const std::string& path) {
  CORRAL_ASSIGN_OR_RETURN(store::Digest digest, store::sha256_file(path));
  const std::string route = "/api/blobs/" + digest.str();
  CORRAL_ASSIGN_OR_RETURN(bool present, client.exists(route));
  if (!present) CORRAL_TRY(client.post_file(route, path).with_context("uploading " + path));
  return digest.str();
}

bool is_gguf_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char magic[4] = {};
  const bool gguf = std::fread(magic, 1, 4, f) == 4 && std::string_view(magic, 4) == "GGUF";
  std::fclose(f);
  return gguf;
}

// The FROM of the Modelfile as /api/create fields: a file or folder becomes uploaded "files".
Status add_from(ApiClient& client, const store::Modelfile& mf, nlohmann::json* req) {
  if (mf.from.kind != store::FromKind::kPath) {
    (*req)["from"] =
        mf.from.kind == store::FromKind::kDigest && mf.from.digest ? mf.from.digest->str() : mf.from.value;
    return ok_status();
  }
  std::string path = mf.from.value;
  if (path.rfind("~/", 0) == 0) {
    if (const char* home = std::getenv("HOME")) path = std::string(home) + path.substr(1);
  }
  std::error_code ec;
  nlohmann::json files = nlohmann::json::object();
  if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      if (!entry.is_regular_file(ec)) continue;
      CORRAL_ASSIGN_OR_RETURN(std::string digest, upload_blob(client, entry.path().string()));
      files[entry.path().filename().string()] = digest;
    }
    if (ec) return io_error("cannot list %s: %s", path.c_str(), ec.message().c_str());
    if (files.empty()) return invalid_argument("FROM %s: the folder holds no files", path.c_str());
  } else if (fs::is_regular_file(path, ec)) {
    std::string file_name = fs::path(path).filename().string();
    // The server reads a single uploaded file as a GGUF by its extension.
    if (is_gguf_file(path) && fs::path(file_name).extension() != ".gguf") file_name += ".gguf";
    CORRAL_ASSIGN_OR_RETURN(std::string digest, upload_blob(client, path));
    files[file_name] = digest;
  } else {
    return not_found("FROM %s: no such file or folder", path.c_str());
  }
  (*req)["files"] = files;
  return ok_status();
}

Status create_remote(ApiClient& client, const CreateOptions& opt) {
  // Refuse a bad name before uploading anything (the server checks it again).
  Result<store::ModelName> valid = store::ModelName::parse(opt.name);
  if (!valid.ok()) return valid.status();
  CORRAL_ASSIGN_OR_RETURN(store::Modelfile mf, read_modelfile(opt, store::NameDefaults{}));
  if (!mf.adapters.empty()) {
    return unsupported(
        "ADAPTER in a Modelfile cannot be sent to a server yet; stop the server to create in-process");
  }
  nlohmann::json req = {{"model", opt.name}, {"stream", true}};
  CORRAL_TRY(add_from(client, mf, &req));
  if (mf.template_text) req["template"] = *mf.template_text;
  if (mf.system) req["system"] = *mf.system;
  if (!mf.licenses.empty()) req["license"] = mf.licenses;
  if (!mf.params.empty()) req["parameters"] = mf.params;
  if (!mf.messages.empty()) req["messages"] = mf.messages_json();
  if (!opt.quantize.empty()) req["quantize"] = opt.quantize;
  return client.post_stream("/api/create", req, [](const nlohmann::json& line) {
    if (line.contains("status") && line["status"].is_string()) {
      std::fprintf(stderr, "%s\n", line["status"].get<std::string>().c_str());
    }
    return true;
  });
}
#endif

Status run_create(Runtime& runtime, const CreateOptions& opt) {
#if CORRAL_WITH_SERVER
  CORRAL_ASSIGN_OR_RETURN(std::optional<ApiClient> client, ApiClient::connect_if_running(runtime.env()));
  if (client) return create_remote(*client, opt);
#endif
  CORRAL_ASSIGN_OR_RETURN(store::Store st, open_store(runtime));
  CORRAL_ASSIGN_OR_RETURN(store::ModelName name, st.parse_name(opt.name));
  std::optional<convert::QuantType> quant;
  if (!opt.quantize.empty()) {
    CORRAL_ASSIGN_OR_RETURN(quant, convert::parse_quant_type(opt.quantize));
  }
  CORRAL_ASSIGN_OR_RETURN(store::Modelfile mf, read_modelfile(opt, st.defaults()));
  store::CreateOptions copts;
  copts.quantize = quant;
  copts.threads = opt.threads > 0 ? opt.threads : runtime.env().num_threads;
  auto progress = [](std::string_view status) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(status.size()), status.data());
  };
  CORRAL_ASSIGN_OR_RETURN(store::Manifest manifest, store::create_model(st, name, mf, copts, progress));
  (void)manifest;
  return ok_status();
}

}  // namespace

Command add_create_command(CLI::App& app) {
  auto opt = std::make_shared<CreateOptions>();
  CLI::App* sub = app.add_subcommand("create", "Create a model from a Modelfile");
  sub->add_option("name", opt->name, "Model name")->required();
  sub->add_option("-f,--file", opt->modelfile, "Modelfile (default: ./Modelfile)");
  sub->add_option("-q,--quantize", opt->quantize,
                  "Quantize: q8_0, q4_0, q4_1, q5_0, q5_1, q4_K_S, q4_K_M, q5_K_M, q6_K");
  sub->add_option("-t,--threads", opt->threads, "Threads for conversion (0 = all)");
  return {sub, [opt](Runtime& runtime) -> int {
            Status s = run_create(runtime, *opt);
            return s.ok() ? 0 : print_error(s);
          }};
}

}  // namespace corral::cli
