// Registry routes: Ollama's POST /api/pull and /api/push over registry::RegistryClient, with
// Ollama's progress stream (NDJSON lines {"status"} or {"status","digest","total","completed"},
// then {"status":"success"}; a failure mid-stream is an {"error"} line). The success line also
// carries "stats" (blobs and bytes moved, present, resumed, mounted) for `corral pull/push`;
// Ollama's clients ignore the extra field. A client that goes away
// cancels the transfer (a pull resumes from its partial files next time).
#include <atomic>
#include <memory>

#include "registry/client.h"
#include "server/server_impl.h"

namespace corral::server {
namespace {

struct TransferRequest {
  std::string model;
  bool insecure = false;
  bool stream = true;
};

Result<TransferRequest> parse_transfer_request(const std::string& body_text) {
  CORRAL_ASSIGN_OR_RETURN(nlohmann::json body, parse_body(body_text));
  TransferRequest r;
  for (const char* key : {"model", "name"}) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) continue;
    if (!it->is_string()) return invalid_argument("'%s' must be a string", key);
    r.model = it->get<std::string>();
    if (!r.model.empty()) break;
  }
  if (r.model.empty()) return invalid_argument("model is required");
  for (auto [key, out] : {std::pair{"insecure", &r.insecure}, std::pair{"stream", &r.stream}}) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) continue;
    if (!it->is_boolean()) return invalid_argument("'%s' must be a boolean", key);
    *out = it->get<bool>();
  }
  return r;
}

Json progress_json(const registry::Progress& p) {
  Json j = {{"status", p.status}};
  if (!p.digest.empty()) {
    j["digest"] = p.digest;
    if (p.total > 0) j["total"] = p.total;
    if (p.completed > 0) j["completed"] = p.completed;
  }
  return j;
}

void serve_transfer(ApiServer::Impl& s, const httplib::Request& req, httplib::Response& res, bool push) {
  Result<TransferRequest> r = parse_transfer_request(req.body);
  if (!r.ok()) return reply_error(res, r.status());
  Result<store::ModelName> name = s.store.parse_name(r->model);
  if (!name.ok()) return reply_error(res, name.status());
  const EnvConfig& env = s.runtime.env();
  auto creds = registry::load_credentials(env.registry_auth, env.registry_auth_file, name->host());
  if (!creds.ok()) return reply_error(res, creds.status());
  registry::RegistryOptions options;
  options.insecure = r->insecure;
  options.credentials = *creds;
  auto run = [&s, push, n = *name](const registry::RegistryOptions& o, const registry::ProgressFn& fn) {
    registry::RegistryClient client(o);
    return push ? client.push(s.store, n, fn) : client.pull(s.store, n, fn);
  };
  if (!r->stream) {
    auto stats = run(options, [](const registry::Progress&) {});
    if (!stats.ok()) return reply_error(res, stats.status());
    return reply_json(res, Json{{"status", "success"}});
  }
  res.status = 200;
  res.set_chunked_content_provider(
      "application/x-ndjson", [run, options](size_t, httplib::DataSink& sink) mutable {
        auto cancel = std::make_shared<std::atomic<bool>>(false);
        options.cancel = cancel.get();
        auto write = [&sink, cancel](const Json& j) {
          if (cancel->load()) return;
          std::string line = ndjson_line(j);
          if ((sink.is_writable && !sink.is_writable()) || !sink.write(line.data(), line.size()))
            *cancel = true;
        };
        bool succeeded = false;
        auto stats = run(options, [&write, &succeeded](const registry::Progress& p) {
          if (p.status == "success" && p.digest.empty()) {
            succeeded = true;  // sent below, with the statistics
            return;
          }
          write(progress_json(p));
        });
        if (!stats.ok()) {
          write(Json{{"error", stats.status().message()}});
        } else if (succeeded) {
          write(Json{{"status", "success"},
                     {"stats",
                      {{"blobs_transferred", stats->blobs_transferred},
                       {"bytes_transferred", stats->bytes_transferred},
                       {"blobs_present", stats->blobs_present},
                       {"bytes_resumed", stats->bytes_resumed},
                       {"blobs_mounted", stats->blobs_mounted}}}});
        }
        sink.done();
        return true;
      });
}

}  // namespace

void ApiServer::Impl::add_registry_routes() {
  http.Post("/api/pull", [this](const httplib::Request& req, httplib::Response& res) {
    serve_transfer(*this, req, res, /*push=*/false);
  });
  http.Post("/api/push", [this](const httplib::Request& req, httplib::Response& res) {
    serve_transfer(*this, req, res, /*push=*/true);
  });
}

}  // namespace corral::server
