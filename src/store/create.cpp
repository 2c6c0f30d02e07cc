// create_model (see create.h): resolves FROM, adds the layers through a blob transaction that
// takes back every blob it added unless the manifest was written, then writes the manifest.
#include "store/create.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "convert/convert.h"
#include "formats/gguf.h"
#include "template/library.h"
#include "util/file.h"

namespace corral::store {
namespace {

namespace fs = std::filesystem;

// Tracks blobs this create added so a failure can take them back out.
class BlobTransaction {
 public:
  explicit BlobTransaction(Store* st) : st_(st) {}
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
    const Digest d = Sha256::of(text);
    const bool existed = st_->blobs().exists(d);
    CORRAL_ASSIGN_OR_RETURN(BlobInfo info, st_->blobs().add_bytes(text));
    if (!existed) added_.push_back(info.digest);
    return Layer{std::string(media_type), info.digest, info.size, ""};
  }
  Result<Layer> add_model_file(const std::string& path) {
    CORRAL_ASSIGN_OR_RETURN(Digest d, sha256_file(path));
    const bool existed = st_->blobs().exists(d);
    CORRAL_ASSIGN_OR_RETURN(BlobInfo info, st_->blobs().add_file(path, d));
    if (!existed) added_.push_back(info.digest);
    return Layer{std::string(media_type::kModel), info.digest, info.size, ""};
  }
  void commit() {
    committed_ = true;
    for (const auto& p : temps_) {
      std::error_code ec;
      fs::remove(p, ec);
    }
  }

 private:
  Store* st_;
  std::vector<Digest> added_;
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
                       int threads, const CreateProgressFn& progress) {
  CORRAL_ASSIGN_OR_RETURN(GgufFile file, GgufFile::open(path));
  if (!quant) return tx->add_model_file(path);
  if (!is_float_gguf(file)) {
    return unsupported("%s is already quantized; --quantize needs F32, F16 or BF16 weights", path.c_str());
  }
  const std::string tmp = tx->temp_path(".gguf");
  progress("quantizing model to " + std::string(convert::quant_type_name(*quant)));
  CORRAL_TRY(convert::quantize_gguf(path, tmp, *quant, threads));
  return tx->add_model_file(tmp);
}

Result<ModelSource> resolve_from(Store* st, BlobTransaction* tx, const Modelfile& mf,
                                 const std::optional<convert::QuantType>& quant, int threads,
                                 const CreateProgressFn& progress) {
  ModelSource src;
  const FromRef& from = mf.from;
  switch (from.kind) {
    case FromKind::kDigest: {
      if (!st->blobs().exists(*from.digest)) return not_found("FROM %s: no such blob in the store", from.value.c_str());
      CORRAL_ASSIGN_OR_RETURN(src.model, add_gguf(tx, st->blobs().path(*from.digest), quant, threads, progress));
      src.chat_template = gguf_chat_template(st->blobs().path(*from.digest));
      return src;
    }
    case FromKind::kModelName: {
      if (!st->has_model(*from.name)) return not_found("FROM %s: model not found", from.value.c_str());
      CORRAL_ASSIGN_OR_RETURN(Manifest base, st->read_manifest(*from.name));
      for (const Layer& l : base.layers) {
        if (l.media_type == media_type::kModel && !src.model) {
          const std::string path = st->blobs().path(l.digest);
          if (quant) {
            CORRAL_ASSIGN_OR_RETURN(src.model, add_gguf(tx, path, quant, threads, progress));
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
    case FromKind::kPath: {
      std::string path = from.value;
      if (path.rfind("~/", 0) == 0) {
        if (const char* home = std::getenv("HOME")) path = std::string(home) + path.substr(1);
      }
      if (is_directory(path)) {
        convert::ConvertOptions c;
        c.type = quant;
        c.threads = threads;
        const std::string tmp = tx->temp_path(".gguf");
        progress("converting model");
        CORRAL_ASSIGN_OR_RETURN(convert::ConvertResult r, convert::convert_hf_directory(path, tmp, c));
        for (const auto& w : r.warnings) progress("warning: " + w);
        CORRAL_ASSIGN_OR_RETURN(src.model, tx->add_model_file(tmp));
        src.chat_template = r.chat_template;
        return src;
      }
      if (!path_exists(path)) return not_found("FROM %s: no such file or folder", from.value.c_str());
      CORRAL_ASSIGN_OR_RETURN(src.model, add_gguf(tx, path, quant, threads, progress));
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

Result<Layer> add_config(BlobTransaction* tx, const Store& st, const std::vector<Layer>& layers) {
  nlohmann::ordered_json cfg;
  std::string arch, file_type;
  uint64_t params = 0;
  for (const Layer& l : layers) {
    if (l.media_type != media_type::kModel) continue;
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
  return tx->add_text(cfg.dump(), media_type::kConfig);
}

}  // namespace

Result<Manifest> create_model(Store& st, const ModelName& name, const Modelfile& mf, const CreateOptions& options,
                              const CreateProgressFn& progress_fn) {
  const CreateProgressFn progress = progress_fn ? progress_fn : [](std::string_view) {};
  if (!mf.adapters.empty()) return unsupported("ADAPTER is not supported yet");
  const std::optional<convert::QuantType>& quant = options.quantize;
  const int threads = options.threads;

  BlobTransaction tx(&st);
  progress("gathering model components");
  CORRAL_ASSIGN_OR_RETURN(ModelSource src, resolve_from(&st, &tx, mf, quant, threads, progress));

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
  if (!template_text && inherited(media_type::kTemplate).empty() && src.chat_template) {
    if (auto m = tmpl::detect_template(*src.chat_template)) {
      detected = m->tmpl;
      template_text = std::string(detected->text);
      progress("using the built-in template '" + std::string(detected->name) + "' (detected from the chat template)");
    }
  }
  CORRAL_TRY(add_or_inherit(media_type::kTemplate, template_text));
  CORRAL_TRY(add_or_inherit(media_type::kSystem, mf.system));

  nlohmann::json params = mf.params;
  if (detected && !params.contains("stop") && !detected->stop.empty()) {
    params["stop"] = nlohmann::json::array();
    for (std::string_view s : detected->stop) params["stop"].push_back(std::string(s));
  }
  std::optional<std::string> params_text;
  if (!params.empty()) params_text = params.dump();
  CORRAL_TRY(add_or_inherit(media_type::kParams, params_text));
  if (!mf.licenses.empty()) {
    for (const std::string& lic : mf.licenses) {
      CORRAL_ASSIGN_OR_RETURN(Layer l, tx.add_text(lic, media_type::kLicense));
      layers.push_back(l);
    }
  } else {
    for (const Layer& l : inherited(media_type::kLicense)) layers.push_back(l);
  }
  std::optional<std::string> messages_text;
  if (!mf.messages.empty()) messages_text = mf.messages_json().dump();
  CORRAL_TRY(add_or_inherit(media_type::kMessages, messages_text));
  // Other inherited layers (projector, adapter) are kept as they are.
  for (const Layer& l : src.inherited) {
    const std::string& t = l.media_type;
    if (t != media_type::kTemplate && t != media_type::kSystem && t != media_type::kParams &&
        t != media_type::kLicense && t != media_type::kMessages) {
      layers.push_back(l);
    }
  }

  Manifest manifest;
  CORRAL_ASSIGN_OR_RETURN(manifest.config, add_config(&tx, st, layers));
  manifest.layers = layers;
  progress("writing manifest");
  CORRAL_TRY(st.write_manifest(name, manifest));
  tx.commit();
  progress("success");
  return manifest;
}

}  // namespace corral::store
