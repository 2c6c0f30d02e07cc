#include "server/server.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "server/server_impl.h"

namespace corral::server {

namespace fs = std::filesystem;

// The version /api/version reports: Ollama clients compare it against the features they use.
constexpr const char* kApiVersion = "0.6.4";

Result<HostPort> parse_host(std::string_view text) {
  HostPort hp;
  std::string_view t = text;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (t.substr(0, scheme.size()) == scheme) t.remove_prefix(scheme.size());
  }
  while (!t.empty() && t.back() == '/') t.remove_suffix(1);
  auto bad = [&](const char* why) {
    return invalid_argument("CORRAL_HOST '%.*s': %s", (int)text.size(), text.data(), why);
  };
  size_t colon = t.rfind(':');
  std::string_view host = colon == std::string_view::npos ? t : t.substr(0, colon);
  if (colon != std::string_view::npos) {
    std::string_view port = t.substr(colon + 1);
    if (port.empty() || port.size() > 5) return bad("the port must be a number from 1 to 65535");
    int p = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return bad("the port must be a number from 1 to 65535");
      p = p * 10 + (c - '0');
    }
    if (p < 1 || p > 65535) return bad("the port must be a number from 1 to 65535");
    hp.port = p;
  }
  if (!host.empty()) {
    for (char c : host) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')) {
        return bad("the host may hold only letters, digits, '.', '-' and '_'");
      }
    }
    hp.host = std::string(host);
  }
  return hp;
}

ApiServer::ApiServer(Runtime& runtime, store::Store store)
    : impl_(std::make_unique<Impl>(runtime, std::move(store))) {
  const EnvConfig& env = runtime.env();
  Result<sched::KeepAlive> ka = sched::parse_keep_alive(std::string_view(env.keep_alive));
  if (ka.ok()) {
    impl_->defaults.keep_alive = *ka;
  } else {
    std::fprintf(stderr, "warning: CORRAL_KEEP_ALIVE: %s; using 5m\n", ka.status().message().c_str());
  }
  sched::SchedulerOptions so;
  so.max_loaded_models = env.max_loaded_models;
  so.max_queue = env.max_queue;
  BackendOptions backend_options = runtime.backend_options();  // starts the shared pool here, once
  int num_parallel = std::max(1, env.num_parallel);
  const BackendRegistry* backends = &runtime.backends();
  const int default_threads =
      backend_options.pool != nullptr ? backend_options.pool->size() : env.num_threads;
  impl_->default_threads = default_threads;
  so.default_num_thread = default_threads;
  so.default_use_mmap = env.use_mmap;
  impl_->sched = std::make_unique<sched::Scheduler>(so, [backend_options, num_parallel, backends,
                                                         default_threads](const sched::ModelSpec& spec) {
    RunnerOptions ro;
    ro.use_mmap = spec.use_mmap != 0;  // the scheduler resolved -1 to so.default_use_mmap
    ro.num_ctx = spec.num_ctx;
    ro.max_sequences = num_parallel;
    ro.backend_options = backend_options;
    if (spec.num_thread > 0 && spec.num_thread != default_threads) {
      // num_thread: this model's backend owns a pool of exactly that many threads.
      ro.backend_options.pool = nullptr;
      ro.backend_options.num_threads = spec.num_thread;
    }
    std::fprintf(stderr, "loading %s (num_ctx %d, num_thread %d, use_mmap %d)\n", spec.name.c_str(),
                 spec.num_ctx, spec.num_thread > 0 ? spec.num_thread : default_threads, ro.use_mmap ? 1 : 0);
    return Runner::load(spec.model_path, ro, *backends);
  });
  // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which would let a second
  // `corral serve` share the port silently instead of failing with "address in use".
  impl_->http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  impl_->http.set_default_headers({{"Server", "corral"}});
  impl_->origins = OriginPolicy(env.origins);
  impl_->http.set_pre_routing_handler(
      [impl = impl_.get()](const httplib::Request& req, httplib::Response& res) {
        return impl->guard(req, res) ? httplib::Server::HandlerResponse::Unhandled
                                     : httplib::Server::HandlerResponse::Handled;
      });
  impl_->http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("corral is running", "text/plain; charset=utf-8");
  });
  impl_->http.Get("/api/version", [](const httplib::Request&, httplib::Response& res) {
    reply_json(res, Json{{"version", kApiVersion}});
  });
  impl_->defaults.token_tables = &impl_->token_tables;
  impl_->add_model_routes();
  impl_->add_generate_routes();
  impl_->add_openai_routes();
  impl_->add_registry_routes();
  impl_->add_embed_routes();
  impl_->http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) {
      res.set_content(ollama_error_body("404 page not found: " + req.path),
                      "application/json; charset=utf-8");
    } else if (res.status == 405) {
      res.set_content(ollama_error_body("method not allowed"), "application/json; charset=utf-8");
    }
  });
  impl_->http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(ollama_error_body("internal error"), "application/json; charset=utf-8");
  });
}

ApiServer::~ApiServer() {
  stop();
}

bool ApiServer::Impl::guard(const httplib::Request& req, httplib::Response& res) {
  auto refuse = [&res](int status, const std::string& message) {
    res.status = status;
    res.set_content(ollama_error_body(message), "application/json; charset=utf-8");
    return false;
  };
  std::string host = req.get_header_value("Host");
  if (!host_allowed(host, bind_host)) {
    return refuse(403, "host '" + host +
                           "' is not allowed: a server bound to loopback answers only local names "
                           "(DNS rebinding protection)");
  }
  std::string origin = req.get_header_value("Origin");
  if (!origin.empty()) {
    if (!origins.allowed(origin))
      return refuse(403, "origin '" + origin + "' is not allowed (set CORRAL_ORIGINS)");
    res.set_header("Access-Control-Allow-Origin", origin);
    res.set_header("Vary", "Origin");
    if (req.method == "OPTIONS") {
      res.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS");
      res.set_header("Access-Control-Allow-Headers",
                     "Authorization, Content-Type, User-Agent, Accept, X-Requested-With");
      res.status = 204;
      return false;
    }
  }
  if (req.path.rfind("/api/blobs/", 0) != 0) {
    if (req.has_header("Content-Length")) {
      const std::string v = req.get_header_value("Content-Length");
      char* end = nullptr;
      unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || end == nullptr || *end != '\0' || n > kMaxJsonBody) {
        return refuse(413, "request body of " + v + " bytes is larger than the limit of " +
                               std::to_string(kMaxJsonBody >> 20) + " MiB");
      }
    } else if (req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos) {
      return refuse(411, "a request body needs a Content-Length");
    }
  }
  return true;
}

Status ApiServer::listen(const HostPort& where) {
  impl_->bind_host = where.host;
  if (!impl_->http.bind_to_port(where.host, where.port)) {
    return io_error("cannot listen on %s:%d (address in use or not available)", where.host.c_str(),
                    where.port);
  }
  std::fprintf(stderr, "corral is listening on %s\n", where.url().c_str());
  if (!impl_->http.listen_after_bind())
    return io_error("the HTTP listener on %s stopped with an error", where.url().c_str());
  return ok_status();
}

void ApiServer::stop() {
  if (impl_ && impl_->http.is_running()) impl_->http.stop();
}

namespace {

Json tag_entry(ApiServer::Impl& s, const std::string& display, const store::Digest& digest, uint64_t size,
               std::chrono::system_clock::time_point modified, const std::string& gguf_path) {
  Json j = {{"name", display},
            {"model", display},
            {"modified_at", rfc3339(modified)},
            {"size", size},
            {"digest", std::string(digest.hex())}};
  Result<ModelDetails> d = s.details.get(gguf_path);
  j["details"] =
      d.ok() ? d->details : Json{{"parent_model", ""},  {"format", "gguf"},     {"family", ""},
                                 {"families", nullptr}, {"parameter_size", ""}, {"quantization_level", ""}};
  return j;
}

std::string random_suffix() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

}  // namespace

void ApiServer::Impl::add_model_routes() {
  http.Get("/api/tags", [this](const httplib::Request&, httplib::Response& res) {
    Result<std::vector<store::ModelEntry>> entries = store.list();
    if (!entries.ok()) return reply_error(res, entries.status());
    Json models = Json::array();
    for (const auto& e : *entries) {
      std::string display = e.name.display_with_tag(store.defaults());
      Result<ResolvedModel> m = resolve_model(store, e.name.full());
      if (!m.ok()) continue;
      models.push_back(tag_entry(*this, display, e.manifest_digest, e.size, e.modified, m->gguf_path));
    }
    reply_json(res, Json{{"models", models}});
  });

  http.Post("/api/show", [this](const httplib::Request& req, httplib::Response& res) {
    Result<nlohmann::json> body = parse_body(req.body);
    if (!body.ok()) return reply_error(res, body.status());
    Result<std::string> name = model_field(*body);
    if (!name.ok()) return reply_error(res, name.status());
    Result<Json> j = show_model(store, details, *name);
    if (!j.ok()) return reply_error(res, j.status());
    reply_json(res, *j);
  });

  http.Post("/api/copy", [this](const httplib::Request& req, httplib::Response& res) {
    Result<nlohmann::json> body = parse_body(req.body);
    if (!body.ok()) return reply_error(res, body.status());
    std::string src = body->value("source", std::string());
    std::string dst = body->value("destination", std::string());
    if (src.empty()) return reply_error(res, invalid_argument("source is required"));
    if (dst.empty()) return reply_error(res, invalid_argument("destination is required"));
    Result<store::ModelName> s = store.parse_name(src);
    if (!s.ok())
      return reply_error(
          res, invalid_argument("invalid source name '%s': %s", src.c_str(), s.status().message().c_str()));
    Result<store::ModelName> d = store.parse_name(dst);
    if (!d.ok())
      return reply_error(res, invalid_argument("invalid destination name '%s': %s", dst.c_str(),
                                               d.status().message().c_str()));
    if (!store.has_model(*s)) return reply_error(res, not_found("model '%s' not found", src.c_str()));
    Status st = store.copy(*s, *d);
    if (!st.ok()) return reply_error(res, st);
    res.status = 200;
  });

  http.Delete("/api/delete", [this](const httplib::Request& req, httplib::Response& res) {
    Result<nlohmann::json> body = parse_body(req.body);
    if (!body.ok()) return reply_error(res, body.status());
    Result<std::string> name = model_field(*body);
    if (!name.ok()) return reply_error(res, name.status());
    Result<store::ModelName> n = store.parse_name(*name);
    if (!n.ok())
      return reply_error(
          res, invalid_argument("invalid model name '%s': %s", name->c_str(), n.status().message().c_str()));
    if (!store.has_model(*n)) return reply_error(res, not_found("model '%s' not found", name->c_str()));
    sched->unload(n->display_with_tag(store.defaults()));
    Status st = store.remove(*n);
    if (!st.ok()) return reply_error(res, st);
    res.status = 200;
  });

  // HEAD is served by the GET handler (httplib drops the body).
  http.Get(R"(/api/blobs/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    Result<store::Digest> d = store::Digest::parse(req.matches[1].str());
    if (!d.ok()) return reply_error(res, d.status());
    res.status = store.blobs().exists(*d) ? 200 : 404;
  });
  http.Post(R"(/api/blobs/([^/]+))", [this](const httplib::Request& req, httplib::Response& res,
                                            const httplib::ContentReader& reader) {
    Result<store::Digest> d = store::Digest::parse(req.matches[1].str());
    if (!d.ok()) return reply_error(res, d.status());
    if (store.blobs().exists(*d)) {
      reader([](const char*, size_t) { return true; });
      res.status = 200;
      return;
    }
    std::string tmp = store.blobs().dir() + "/tmp-upload-" + random_suffix();
    {
      std::ofstream out(tmp, std::ios::binary);
      if (!out)
        return reply_error(res,
                           io_error("cannot create a temporary file in %s", store.blobs().dir().c_str()));
      bool ok = reader([&](const char* data, size_t len) {
        out.write(data, static_cast<std::streamsize>(len));
        return static_cast<bool>(out);
      });
      out.close();
      if (!ok || !out) {
        std::error_code ec;
        fs::remove(tmp, ec);
        return reply_error(
            res, io_error("blob upload for %s failed while receiving or writing", d->str().c_str()));
      }
    }
    Result<store::BlobInfo> added = store.blobs().add_file(tmp, *d);
    std::error_code ec;
    fs::remove(tmp, ec);
    if (!added.ok()) return reply_error(res, added.status());
    res.status = 201;
  });

  http.Get("/api/ps", [this](const httplib::Request&, httplib::Response& res) {
    Json models = Json::array();
    for (const auto& m : sched->loaded()) {
      Json j = {{"name", m.name}, {"model", m.name}, {"size", m.size}};
      std::string_view digest = m.digest;
      if (digest.substr(0, 7) == "sha256:") digest.remove_prefix(7);
      j["digest"] = std::string(digest);
      Result<ModelDetails> d = details.get(m.model_path);
      j["details"] = d.ok() ? d->details : Json::object();
      auto expires =
          m.forever ? std::chrono::system_clock::now() + std::chrono::hours(24 * 365 * 100) : m.expires_at;
      j["expires_at"] = rfc3339(expires);
      j["size_vram"] = 0;
      j["context_length"] = m.num_ctx;
      j["num_thread"] = m.num_thread > 0 ? m.num_thread : default_threads;  // corral's addition
      models.push_back(j);
    }
    reply_json(res, Json{{"models", models}});
  });

  add_create_routes();  // routes_create.cpp
}

}  // namespace corral::server
