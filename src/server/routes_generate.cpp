// Generation routes: Ollama's /api/generate and /api/chat, OpenAI's /v1/chat/completions and
// /v1/completions, and OpenAI's model listing.
#include <memory>

#include "server/server_impl.h"

namespace corral::server {
namespace {

using ParseFn = Result<GenerationParams> (*)(const nlohmann::json&);

void serve_generation(ApiServer::Impl& s, const httplib::Request& req, httplib::Response& res, ParseFn parse,
                      bool openai) {
  auto fail = [&](const Status& st) { openai ? reply_openai_error(res, st) : reply_error(res, st); };
  Result<nlohmann::json> body = parse_body(req.body);
  if (!body.ok()) return fail(body.status());
  Result<GenerationParams> params = parse(*body);
  if (!params.ok()) return fail(params.status());
  Result<ResolvedModel> model = resolve_model(s.store, params->model);
  if (!model.ok()) return fail(model.status());
  Result<std::unique_ptr<Generation>> gen = Generation::prepare(*s.sched, s.defaults, *model, std::move(params).value());
  if (!gen.ok()) return fail(gen.status());
  std::shared_ptr<Generation> g = std::move(gen).value();
  if (!g->streaming()) {
    std::string out;
    Status st = g->run([&out](const std::string& bytes) {
      out += bytes;
      return true;
    });
    if (!st.ok()) return fail(st);
    res.status = 200;
    res.set_content(out, g->content_type());
    return;
  }
  res.status = 200;
  if (openai) res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(g->content_type(), [g](size_t, httplib::DataSink& sink) {
    (void)g->run([&sink](const std::string& bytes) {
      if (sink.is_writable && !sink.is_writable()) return false;
      return sink.write(bytes.data(), bytes.size());
    });
    sink.done();
    return true;
  });
}

}  // namespace

void ApiServer::Impl::add_generate_routes() {
  http.Post("/api/generate", [this](const httplib::Request& req, httplib::Response& res) {
    serve_generation(*this, req, res, &parse_generate_request, false);
  });
  http.Post("/api/chat", [this](const httplib::Request& req, httplib::Response& res) {
    serve_generation(*this, req, res, &parse_chat_request, false);
  });
}

void ApiServer::Impl::add_openai_routes() {
  http.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    serve_generation(*this, req, res, &parse_openai_chat_request, true);
  });
  http.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
    serve_generation(*this, req, res, &parse_openai_completion_request, true);
  });
  http.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    Result<std::vector<store::ModelEntry>> entries = store.list();
    if (!entries.ok()) return reply_openai_error(res, entries.status());
    Json data = Json::array();
    for (const auto& e : *entries) {
      data.push_back(Json{{"id", e.name.display_with_tag(store.defaults())}, {"object", "model"},
                          {"created", unix_seconds(e.modified)}, {"owned_by", e.name.name_space()}});
    }
    reply_json(res, Json{{"object", "list"}, {"data", data}});
  });
  http.Get(R"(/v1/models/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
    std::string id = req.matches[1].str();
    Result<ResolvedModel> m = resolve_model(store, id);
    if (!m.ok()) return reply_openai_error(res, m.status());
    reply_json(res, Json{{"id", m->display}, {"object", "model"}, {"created", unix_seconds(m->modified)},
                         {"owned_by", m->name.name_space()}});
  });
}

}  // namespace corral::server
