// corral create NAME -f Modelfile [--quantize TYPE]: builds a model in the local store.
// FROM is a store name (its layers are inherited), a GGUF file, an HF model folder (converted
// here) or a blob digest. Layers: model, template (TEMPLATE, else detected from the
// checkpoint's Jinja chat_template), system, params (PARAMETERs, plus the detected template's
// stop strings when none are given), license, messages; then the config blob; the manifest is
// written last, atomically. Every blob this run added is removed again if it fails, so a failed
// create leaves the store as it was.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/store_cmds.h"
#include "convert/convert.h"
#include "formats/gguf.h"
#include "store/modelfile.h"
#include "template/library.h"
#include "util/file.h"

namespace corral::cli {
namespace {

namespace fs = std::filesystem;
using store::Layer;

struct CreateOptions {
  std::string name;
  std::string modelfile = "Modelfile";
  std::string quantize;
  int threads = 0;
};

// Tracks blobs this create added so a failure can take them back out.
class BlobTransaction {
 public:
  explicit BlobTransaction(store::Store* st) : st_(st) {}
  ~BlobTransaction() {
    if (committed_) return;
    for (const auto& d : added_) (void)st_->blobs().remove(d);
    for (const auto& p : temps_) {
      std::error_code ec;
      fs::remove(p, ec);
    }
  }
  std::string temp_path(const char* suffix) {
    std::random_device rd;
    temps_.push_back(st_->blobs().dir() + "/tmp-create-" + std::to_string(rd()) + std::to_string(rd()) + suffix);
    return temps_.back();
  }
  Result<Layer> add_text(std::string_view text, std::string_view media_type) {
    const store::Digest d = store::Sha256::of(text);
    const bool existed = st_->blobs().exists(d);
    CORRAL_ASSIGN_OR_RETURN(store::BlobInfo info, st_->blobs().add_bytes(text));
    if (!existed) added_.push_back(info.digest);
    return Layer{std::string(media_type), info.digest, info.size, ""};
  }
  Result<Layer> add_model_file(const std::string& path) {
    CORRAL_ASSIGN_OR_RETURN(store::Digest d, store::sha256_file(path));
    const bool existed = st_->blobs().exists(d);
    CORRAL_ASSIGN_OR_RETURN(store::BlobInfo info, st_->blobs().add_file(path, d));
    if (!existed) added_.push_back(info.digest);
    return Layer{std::string(store::media_type::kModel), info.digest, info.size, ""};
  }
  void commit() {
    committed_ = true;
    for (const auto& p : temps_) {
      std::error_code ec;
      fs::remove(p, ec);
    }
  }

 private:
  store::Store* st_;
  std::vector<store::Digest> added_;
  std::vector<std::string> temps_;
  bool committed_ = false;
};

struct ModelSource {
  std::vector<Layer> inherited;        // layers of a base store model (model layer included)
  std::optional<Layer> model;          // the model layer
  std::optional<std::string> chat_template;  // Jinja, for detection
};

std::optional<std::string> gguf_chat_template(const std::string& path) {
  auto f = GgufFile::open(path);
  if (!f.ok()) return std::nullopt;
  return f->get_string("tokenizer.chat_template");
}

bool is_float_gguf(const GgufFile& f) {
  for (const auto& t : f.tensors()) {
    if (t.shape.size() >= 2 && t.dtype != DType::kF32 && t.dtype != DType::kF16 && t.dtype != DType::kBF16) return false;
  }
  return true;
}

// Quantizes a GGUF at `path` into a temporary file and adds it.
Result<Layer> add_gguf(BlobTransaction* tx, const std::string& path, const std::optional<convert::QuantType>& quant,
                       int threads) {
  CORRAL_ASSIGN_OR_RETURN(GgufFile file, GgufFile::open(path));
  if (!quant) return tx->add_model_file(path);
  if (!is_float_gguf(file)) {
    return unsupported("%s is already quantized; --quantize needs F32, F16 or BF16 weights", path.c_str());
  }
  const std::string tmp = tx->temp_path(".gguf");
  CORRAL_TRY(convert::quantize_gguf(path, tmp, *quant, threads));
  return tx->add_model_file(tmp);
}

Result<ModelSource> resolve_from(store::Store* st, BlobTransaction* tx, const store::Modelfile& mf,
                                 const std::optional<convert::QuantType>& quant, int threads) {
  ModelSource src;
  const store::FromRef& from = mf.from;
  switch (from.kind) {
    case store::FromKind::kDigest: {
      if (!st->blobs().exists(*from.digest)) return not_found("FROM %s: no such blob in the store", from.value.c_str());
      CORRAL_ASSIGN_OR_RETURN(src.model, add_gguf(tx, st->blobs().path(*from.digest), quant, threads));
      src.chat_template = gguf_chat_template(st->blobs().path(*from.digest));
      return src;
    }
    case store::FromKind::kModelName: {
      if (!st->has_model(*from.name)) return not_found("FROM %s: model not found", from.value.c_str());
      CORRAL_ASSIGN_OR_RETURN(store::Manifest base, st->read_manifest(*from.name));
      for (const Layer& l : base.layers) {
        if (l.media_type == store::media_type::kModel && !src.model) {
          const std::string path = st->blobs().path(l.digest);
          if (quant) {
            CORRAL_ASSIGN_OR_RETURN(src.model, add_gguf(tx, path, quant, threads));
          } else {
            src.model = l;
          }
          src.chat_template = gguf_chat_template(path);
        } else {
          src.inherited.push_back(l);
        }
      }
      if (!src.model) return not_found("FROM %s: the model has no model layer", from.value.c_str());
      return src;
    }
    case store::FromKind::kPath: {
      std::string path = from.value;
      if (path.rfind("~/", 0) == 0) {
        if (const char* home = std::getenv("HOME")) path = std::string(home) + path.substr(1);
      }
      if (is_directory(path)) {
        convert::ConvertOptions c;
        c.type = quant;
        c.threads = threads;
        const std::string tmp = tx->temp_path(".gguf");
        CORRAL_ASSIGN_OR_RETURN(convert::ConvertResult r, convert::convert_hf_directory(path, tmp, c));
        for (const auto& w : r.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
        CORRAL_ASSIGN_OR_RETURN(src.model, tx->add_model_file(tmp));
        src.chat_template = r.chat_template;
        return src;
      }
      if (!path_exists(path)) return not_found("FROM %s: no such file or folder", from.value.c_str());
      CORRAL_ASSIGN_OR_RETURN(src.model, add_gguf(tx, path, quant, threads));
      src.chat_template = gguf_chat_template(path);
      return src;
    }
  }
  return internal_error("unknown FROM kind");
}

std::string model_type_of(uint64_t params) {
  char buf[32];
  if (params >= 1000000000ull) std::snprintf(buf, sizeof buf, "%.1fB", params / 1e9);
  else std::snprintf(buf, sizeof buf, "%lluM", static_cast<unsigned long long>((params + 500000) / 1000000));
  return buf;
}

Result<Layer> add_config(BlobTransaction* tx, const store::Store& st, const std::vector<Layer>& layers) {
  nlohmann::ordered_json cfg;
  std::string arch, file_type;
  uint64_t params = 0;
  for (const Layer& l : layers) {
    if (l.media_type != store::media_type::kModel) continue;
    auto f = GgufFile::open(st.blobs().path(l.digest));
    if (!f.ok()) return f.status().with_context("model layer");
    arch = f->architecture();
    if (auto ft = f->get_int("general.file_type")) file_type = std::string(gguf_file_type_name(static_cast<uint32_t>(*ft)));
    for (const auto& t : f->tensors()) params += t.num_elements();
    break;
  }
  cfg["model_format"] = "gguf";
  cfg["model_family"] = arch;
  cfg["model_families"] = nlohmann::ordered_json::array({arch});
  cfg["model_type"] = model_type_of(params);
  cfg["file_type"] = file_type;
  cfg["architecture"] = "amd64";
  cfg["os"] = "linux";
  cfg["rootfs"] = {{"type", "layers"}, {"diff_ids", nlohmann::ordered_json::array()}};
  for (const Layer& l : layers) cfg["rootfs"]["diff_ids"].push_back(l.digest.str());
  return tx->add_text(cfg.dump(), store::media_type::kConfig);
}

Status run_create(Runtime& runtime, const CreateOptions& opt) {
  CORRAL_ASSIGN_OR_RETURN(store::Store st, open_store(runtime));
  CORRAL_ASSIGN_OR_RETURN(store::ModelName name, st.parse_name(opt.name));
  std::optional<convert::QuantType> quant;
  if (!opt.quantize.empty()) {
    CORRAL_ASSIGN_OR_RETURN(quant, convert::parse_quant_type(opt.quantize));
  }
  store::ModelfileOptions mopts;
  mopts.base_dir = fs::path(opt.modelfile).parent_path().string();
  if (mopts.base_dir.empty()) mopts.base_dir = ".";
  mopts.defaults = st.defaults();
  CORRAL_ASSIGN_OR_RETURN(store::Modelfile mf, store::parse_modelfile_file(opt.modelfile, mopts));
  if (mf.from.kind == store::FromKind::kPath && !fs::path(mf.from.value).is_absolute() && mf.from.value.rfind("~", 0) != 0) {
    mf.from.value = (fs::path(mopts.base_dir) / mf.from.value).lexically_normal().string();
  }
  if (!mf.adapters.empty()) return unsupported("ADAPTER is not supported yet");
  const int threads = opt.threads > 0 ? opt.threads : runtime.env().num_threads;

  BlobTransaction tx(&st);
  std::fprintf(stderr, "gathering model components\n");
  CORRAL_ASSIGN_OR_RETURN(ModelSource src, resolve_from(&st, &tx, mf, quant, threads));

  std::vector<Layer> layers{*src.model};
  auto inherited = [&](std::string_view type) -> std::vector<Layer> {
    std::vector<Layer> out;
    for (const Layer& l : src.inherited) if (l.media_type == type) out.push_back(l);
    return out;
  };
  auto add_or_inherit = [&](std::string_view type, const std::optional<std::string>& text) -> Status {
    if (text) {
      CORRAL_ASSIGN_OR_RETURN(Layer l, tx.add_text(*text, type));
      layers.push_back(l);
    } else {
      for (const Layer& l : inherited(type)) layers.push_back(l);
    }
    return ok_status();
  };

  // Template: explicit, inherited, or detected from the checkpoint's chat template.
  std::optional<std::string> template_text = mf.template_text;
  const tmpl::BuiltinTemplate* detected = nullptr;
  if (!template_text && inherited(store::media_type::kTemplate).empty() && src.chat_template) {
    if (auto m = tmpl::detect_template(*src.chat_template)) {
      detected = m->tmpl;
      template_text = std::string(detected->text);
      std::fprintf(stderr, "using the built-in template '%.*s' (detected from the chat template)\n",
                   static_cast<int>(detected->name.size()), detected->name.data());
    }
  }
  CORRAL_TRY(add_or_inherit(store::media_type::kTemplate, template_text));
  CORRAL_TRY(add_or_inherit(store::media_type::kSystem, mf.system));

  nlohmann::json params = mf.params;
  if (detected && !params.contains("stop") && !detected->stop.empty()) {
    params["stop"] = nlohmann::json::array();
    for (std::string_view s : detected->stop) params["stop"].push_back(std::string(s));
  }
  std::optional<std::string> params_text;
  if (!params.empty()) params_text = params.dump();
  CORRAL_TRY(add_or_inherit(store::media_type::kParams, params_text));
  if (!mf.licenses.empty()) {
    for (const std::string& lic : mf.licenses) {
      CORRAL_ASSIGN_OR_RETURN(Layer l, tx.add_text(lic, store::media_type::kLicense));
      layers.push_back(l);
    }
  } else {
    for (const Layer& l : inherited(store::media_type::kLicense)) layers.push_back(l);
  }
  std::optional<std::string> messages_text;
  if (!mf.messages.empty()) messages_text = mf.messages_json().dump();
  CORRAL_TRY(add_or_inherit(store::media_type::kMessages, messages_text));
  // Other inherited layers (projector, adapter) are kept as they are.
  for (const Layer& l : src.inherited) {
    const std::string& t = l.media_type;
    if (t != store::media_type::kTemplate && t != store::media_type::kSystem && t != store::media_type::kParams &&
        t != store::media_type::kLicense && t != store::media_type::kMessages) {
      layers.push_back(l);
    }
  }

  store::Manifest manifest;
  CORRAL_ASSIGN_OR_RETURN(manifest.config, add_config(&tx, st, layers));
  manifest.layers = layers;
  std::fprintf(stderr, "writing manifest\n");
  CORRAL_TRY(st.write_manifest(name, manifest));
  tx.commit();
  std::fprintf(stderr, "success\n");
  return ok_status();
}

}  // namespace

Command add_create_command(CLI::App& app) {
  auto opt = std::make_shared<CreateOptions>();
  CLI::App* sub = app.add_subcommand("create", "Create a model from a Modelfile");
  sub->add_option("name", opt->name, "Model name")->required();
  sub->add_option("-f,--file", opt->modelfile, "Modelfile (default: ./Modelfile)");
  sub->add_option("-q,--quantize", opt->quantize, "Quantize: q8_0, q4_0, q4_1, q5_0, q5_1, q4_K_S, q4_K_M, q5_K_M, q6_K");
  sub->add_option("-t,--threads", opt->threads, "Threads for conversion (0 = all)");
  return {sub, [opt](Runtime& runtime) -> int {
    Status s = run_create(runtime, *opt);
    return s.ok() ? 0 : print_error(s);
  }};
}

}  // namespace corral::cli
