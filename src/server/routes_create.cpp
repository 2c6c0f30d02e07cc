// POST /api/create with Ollama's request shape: "model" (or "name"), "from" (a store name or a
// blob digest), "files" ({file name: digest} of uploaded blobs: one GGUF, or an HF checkpoint's
// files, converted), "modelfile" (legacy: a whole Modelfile), "template", "system",
// "parameters", "messages", "license", "adapters", "quantize" and "stream". Builds the model
// with store::create_model and streams {"status": ...} lines ending with {"status":"success"},
// or answers once with stream false. Errors before the work starts are {"error": ...} with
// 400/404; later ones end the stream with an {"error": ...} line.
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "server/server_impl.h"
#include "store/create.h"
#include "store/modelfile_params.h"

namespace corral::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A folder of symlinks named like the uploaded files, pointing at their blobs: what FROM reads
// when "files" is an HF checkpoint. Removed with the request. The folder holding the links is
// named after the model being created, since converters take general.name from it.
class FilesDir {
 public:
  ~FilesDir() {
    if (dir_.empty()) return;
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Status make(const store::Store& st, const std::vector<std::pair<std::string, store::Digest>>& files,
              const std::string& model_name) {
    std::random_device rd;
    std::error_code ec;
    fs::path base = fs::temp_directory_path(ec);
    if (ec) base = "/tmp";
    dir_ = (base / ("corral-create-" + std::to_string(rd()) + std::to_string(rd()))).string();
    if (!fs::create_directory(dir_, ec))
      return io_error("cannot create %s: %s", dir_.c_str(), ec.message().c_str());
    model_dir_ = (fs::path(dir_) / model_name).string();  // a validated name part: one safe component
    if (!fs::create_directory(model_dir_, ec))
      return io_error("cannot create %s: %s", model_dir_.c_str(), ec.message().c_str());
    for (const auto& [name, digest] : files) {
      fs::create_symlink(st.blobs().path(digest), fs::path(model_dir_) / name, ec);
      if (ec) return io_error("cannot link %s: %s", name.c_str(), ec.message().c_str());
    }
    return ok_status();
  }
  const std::string& dir() const { return model_dir_; }

 private:
  std::string dir_, model_dir_;
};

// A file name from "files": one path component, no traversal, no control bytes.
Status check_file_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.size() > 255) {
    return invalid_argument("files: invalid file name '%s'", name.c_str());
  }
  for (char c : name) {
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      return invalid_argument("files: invalid file name '%s' (one plain file name expected)", name.c_str());
    }
  }
  return ok_status();
}

std::string param_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

struct CreateRequest {
  store::ModelName name;
  store::Modelfile modelfile;
  store::CreateOptions options;
  bool stream = true;
  std::unique_ptr<FilesDir> files_dir;
};

Result<std::string> string_field(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return invalid_argument("'%s' must be a string", key);
  return it->get<std::string>();
}

Status apply_files(const store::Store& st, const json& files, CreateRequest* r) {
  if (!files.is_object()) return invalid_argument("'files' must be an object of file name to digest");
  std::vector<std::pair<std::string, store::Digest>> list;
  for (auto it = files.begin(); it != files.end(); ++it) {
    CORRAL_TRY(check_file_name(it.key()));
    if (!it.value().is_string())
      return invalid_argument("files: the digest of '%s' must be a string", it.key().c_str());
    Result<store::Digest> d = store::Digest::parse(it.value().get<std::string>());
    if (!d.ok()) return invalid_argument("files: %s: %s", it.key().c_str(), d.status().message().c_str());
    if (!st.blobs().exists(*d))
      return invalid_argument("files: blob %s (%s) was not uploaded", d->str().c_str(), it.key().c_str());
    list.emplace_back(it.key(), *d);
  }
  if (list.empty()) return ok_status();
  store::FromRef from;
  if (list.size() == 1 && fs::path(list[0].first).extension() == ".gguf") {
    from.kind = store::FromKind::kDigest;
    from.digest = list[0].second;
    from.value = list[0].second.str();
  } else {
    r->files_dir = std::make_unique<FilesDir>();
    CORRAL_TRY(r->files_dir->make(st, list, r->name.model()));
    from.kind = store::FromKind::kPath;
    from.value = r->files_dir->dir();
  }
  r->modelfile.from = std::move(from);
  return ok_status();
}

Status apply_fields(const json& body, store::Modelfile* mf) {
  CORRAL_ASSIGN_OR_RETURN(std::string tmpl, string_field(body, "template"));
  if (!tmpl.empty()) mf->template_text = tmpl;
  CORRAL_ASSIGN_OR_RETURN(std::string system, string_field(body, "system"));
  if (!system.empty()) mf->system = system;
  if (auto it = body.find("license"); it != body.end() && !it->is_null()) {
    mf->licenses.clear();
    if (it->is_string()) {
      mf->licenses.push_back(it->get<std::string>());
    } else if (it->is_array()) {
      for (const json& l : *it) {
        if (!l.is_string()) return invalid_argument("'license' must be a string or a list of strings");
        mf->licenses.push_back(l.get<std::string>());
      }
    } else {
      return invalid_argument("'license' must be a string or a list of strings");
    }
  }
  if (auto it = body.find("parameters"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return invalid_argument("'parameters' must be an object");
    for (auto p = it->begin(); p != it->end(); ++p) {
      const json values = p.value().is_array() ? p.value() : json::array({p.value()});
      for (const json& v : values) {
        if (v.is_object() || v.is_array() || v.is_null()) {
          return invalid_argument("parameter '%s': expected a number, a string or a boolean",
                                  p.key().c_str());
        }
        Status s = store::add_modelfile_param(mf->params, p.key(), param_text(v));
        if (!s.ok()) return invalid_argument("parameters: %s", s.message().c_str());
      }
    }
  }
  if (auto it = body.find("messages"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return invalid_argument("'messages' must be a list");
    mf->messages.clear();
    for (const json& m : *it) {
      if (!m.is_object() || !m.contains("role") || !m["role"].is_string() ||
          (m.contains("content") && !m["content"].is_string())) {
        return invalid_argument("messages: each message needs a string role and content");
      }
      const std::string role = m["role"].get<std::string>();
      if (role != "system" && role != "user" && role != "assistant") {
        return invalid_argument("messages: role must be system, user or assistant, got '%s'", role.c_str());
      }
      mf->messages.push_back({role, m.value("content", std::string())});
    }
  }
  if (auto it = body.find("adapters"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return invalid_argument("'adapters' must be an object of file name to digest");
    for (auto a = it->begin(); a != it->end(); ++a) mf->adapters.push_back(a.key());
  }
  return ok_status();
}

Result<CreateRequest> parse_create(ApiServer::Impl& s, const json& body) {
  CreateRequest r;
  CORRAL_ASSIGN_OR_RETURN(std::string name, model_field(body));
  Result<store::ModelName> n = s.store.parse_name(name);
  if (!n.ok())
    return invalid_argument("invalid model name '%s': %s", name.c_str(), n.status().message().c_str());
  r.name = *n;
  store::ModelfileOptions mopts;
  mopts.source_name = "modelfile";
  mopts.defaults = s.store.defaults();
  CORRAL_ASSIGN_OR_RETURN(std::string modelfile, string_field(body, "modelfile"));
  bool have_from = false;
  if (!modelfile.empty()) {
    CORRAL_ASSIGN_OR_RETURN(r.modelfile, store::parse_modelfile(modelfile, mopts));
    have_from = true;
  }
  CORRAL_ASSIGN_OR_RETURN(std::string from, string_field(body, "from"));
  if (!from.empty()) {
    // Over the API, FROM names a stored model or a blob: never a path on the server.
    store::ModelfileOptions no_paths = mopts;
    no_paths.probe_paths = false;
    Result<store::FromRef> ref = store::classify_from(from, no_paths);
    if (!ref.ok() || ref->kind == store::FromKind::kPath) {
      return invalid_argument("from: '%s' is not a model name or a blob digest", from.c_str());
    }
    r.modelfile.from = *ref;
    have_from = true;
  }
  if (auto it = body.find("files"); it != body.end() && !it->is_null()) {
    CORRAL_TRY(apply_files(s.store, *it, &r));
    have_from = have_from || r.files_dir || r.modelfile.from.digest;
  }
  if (!have_from) return invalid_argument("neither 'from' nor 'files' was specified");
  CORRAL_TRY(apply_fields(body, &r.modelfile));
  CORRAL_ASSIGN_OR_RETURN(std::string quantize, string_field(body, "quantize"));
  if (!quantize.empty()) {
    CORRAL_ASSIGN_OR_RETURN(r.options.quantize, convert::parse_quant_type(quantize));
  }
  r.options.threads = s.runtime.env().num_threads;
  if (auto it = body.find("stream"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return invalid_argument("'stream' must be true or false");
    r.stream = it->get<bool>();
  }
  // A missing base model is a 404 before anything streams.
  const store::FromRef& f = r.modelfile.from;
  if (f.kind == store::FromKind::kModelName && f.name && !s.store.has_model(*f.name)) {
    return not_found("model '%s' not found", f.value.c_str());
  }
  if (f.kind == store::FromKind::kDigest && f.digest && !s.store.blobs().exists(*f.digest)) {
    return not_found("blob %s not found", f.digest->str().c_str());
  }
  return r;
}

}  // namespace

void ApiServer::Impl::add_create_routes() {
  http.Post("/api/create", [this](const httplib::Request& req, httplib::Response& res) {
    Result<json> body = parse_body(req.body);
    if (!body.ok()) return reply_error(res, body.status());
    Result<CreateRequest> parsed = parse_create(*this, *body);
    if (!parsed.ok()) return reply_error(res, parsed.status());
    auto r = std::make_shared<CreateRequest>(std::move(parsed).value());
    if (!r->stream) {
      Result<store::Manifest> m = store::create_model(store, r->name, r->modelfile, r->options);
      if (!m.ok()) return reply_error(res, m.status());
      return reply_json(res, Json{{"status", "success"}});
    }
    res.status = 200;
    res.set_chunked_content_provider("application/x-ndjson", [this, r](size_t, httplib::DataSink& sink) {
      auto send = [&sink](const Json& j) {
        const std::string line = ndjson_line(j);
        return sink.write(line.data(), line.size());
      };
      Result<store::Manifest> m =
          store::create_model(store, r->name, r->modelfile, r->options, [&](std::string_view status) {
            send(Json{{"status", std::string(status)}});
          });
      if (!m.ok()) send(Json{{"error", m.status().message()}});
      sink.done();
      return true;
    });
  });
}

}  // namespace corral::server
