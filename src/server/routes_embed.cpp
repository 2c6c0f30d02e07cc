// Embedding routes: Ollama's /api/embed (normalized, a list of inputs) and legacy
// /api/embeddings (one prompt, the raw pooled vector), OpenAI's /v1/embeddings (float or base64).
#include <chrono>

#include "server/embed.h"
#include "server/server_impl.h"

namespace corral::server {
namespace {

using nlohmann::json;

struct EmbedRequest {
  std::string model;
  std::vector<std::string> inputs;
  bool truncate = true;
  int dimensions = 0;  // 0: the model's
  json options = json::object();
  std::optional<sched::KeepAlive> keep_alive;
};

Result<std::vector<std::string>> input_list(const json& v, const char* field) {
  std::vector<std::string> out;
  if (v.is_null()) return out;
  if (v.is_string()) {
    if (!v.get<std::string>().empty()) out.push_back(v.get<std::string>());
    return out;
  }
  if (!v.is_array()) return invalid_argument("'%s' must be a string or a list of strings", field);
  for (const auto& x : v) {
    if (!x.is_string()) return invalid_argument("'%s' must be a string or a list of strings", field);
    out.push_back(x.get<std::string>());
  }
  return out;
}

Status embed_common(const json& body, EmbedRequest* r) {
  CORRAL_ASSIGN_OR_RETURN(r->model, model_field(body));
  if (auto it = body.find("truncate"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return invalid_argument("'truncate' must be true or false");
    r->truncate = it->get<bool>();
  }
  if (auto it = body.find("dimensions"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > (1 << 20)) {
      return invalid_argument("'dimensions' must be a positive integer");
    }
    r->dimensions = static_cast<int>(it->get<int64_t>());
  }
  if (auto it = body.find("options"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return invalid_argument("'options' must be an object");
    r->options = *it;
  }
  if (auto it = body.find("keep_alive"); it != body.end() && !it->is_null()) {
    CORRAL_ASSIGN_OR_RETURN(r->keep_alive, sched::parse_keep_alive(*it));
  }
  return ok_status();
}

struct EmbedOutcome {
  std::string display;
  std::vector<std::vector<float>> vectors;
  int64_t prompt_tokens = 0;
  int64_t load_ns = 0;
  int64_t total_ns = 0;
};

Result<EmbedOutcome> run_embed(ApiServer::Impl& s, const EmbedRequest& r, bool normalize) {
  auto t0 = std::chrono::steady_clock::now();
  CORRAL_ASSIGN_OR_RETURN(ResolvedModel model, resolve_model(s.store, r.model));
  RunOptions opts;
  CORRAL_TRY(apply_options(model.params, &opts).with_context("model '" + model.display + "' parameters"));
  CORRAL_TRY(apply_options(r.options, &opts));
  sched::ModelSpec spec;
  spec.name = model.display;
  spec.model_path = model.gguf_path;
  spec.digest = model.manifest_digest.str();
  spec.size = model.size;
  spec.num_ctx = opts.num_ctx;
  spec.num_thread = opts.num_thread;
  spec.use_mmap = opts.use_mmap;
  spec.keep_alive = r.keep_alive.value_or(s.defaults.keep_alive);
  CORRAL_ASSIGN_OR_RETURN(std::unique_ptr<sched::Scheduler::Lease> lease, s.sched->acquire(spec));
  Runner& runner = lease->runner();
  CORRAL_ASSIGN_OR_RETURN(Pooling pooling, pooling_from_gguf(runner.file()));
  EmbedOutcome out;
  out.display = model.display;
  out.load_ns = lease->load_ns();
  const size_t limit = static_cast<size_t>(opts.num_ctx);
  for (size_t i = 0; i < r.inputs.size(); ++i) {
    std::vector<int32_t> ids =
        runner.tokenizer().encode(r.inputs[i], /*add_special=*/true, /*parse_special=*/false);
    if (ids.empty()) return invalid_argument("input %zu is empty after tokenization", i);
    if (ids.size() > limit) {
      if (!r.truncate) {
        return invalid_argument(
            "input %zu has %zu tokens, more than the context length %zu (set truncate to true)", i,
            ids.size(), limit);
      }
      ids.resize(limit);
    }
    out.prompt_tokens += static_cast<int64_t>(ids.size());
    CORRAL_ASSIGN_OR_RETURN(std::vector<float> v,
                            s.embedder->embed(runner.model(), ids, pooling, opts.num_batch));
    if (r.dimensions > 0 && static_cast<size_t>(r.dimensions) < v.size()) {
      v.resize(static_cast<size_t>(r.dimensions));
    }
    if (normalize) l2_normalize(v);
    out.vectors.push_back(std::move(v));
  }
  out.total_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace

void ApiServer::Impl::add_embed_routes() {
  embedder = std::make_unique<Embedder>(runtime.backends(), runtime.backend_options());

  http.Post("/api/embed", [this](const httplib::Request& req, httplib::Response& res) {
    Result<json> body = parse_body(req.body);
    if (!body.ok()) return reply_error(res, body.status());
    EmbedRequest r;
    Status st = embed_common(*body, &r);
    if (!st.ok()) return reply_error(res, st);
    Result<std::vector<std::string>> inputs = input_list(body->value("input", json()), "input");
    if (!inputs.ok()) return reply_error(res, inputs.status());
    r.inputs = std::move(inputs).value();
    Result<EmbedOutcome> out = run_embed(*this, r, /*normalize=*/true);
    if (!out.ok()) return reply_error(res, out.status());
    Json vectors = Json::array();
    for (const auto& v : out->vectors) vectors.push_back(v);
    reply_json(res, Json{{"model", out->display},
                         {"embeddings", vectors},
                         {"total_duration", out->total_ns},
                         {"load_duration", out->load_ns},
                         {"prompt_eval_count", out->prompt_tokens}});
  });

  // Legacy: one prompt, the pooled vector as the model gives it (not normalized), as Ollama's
  // /api/embeddings answers; an empty prompt gives an empty embedding.
  http.Post("/api/embeddings", [this](const httplib::Request& req, httplib::Response& res) {
    Result<json> body = parse_body(req.body);
    if (!body.ok()) return reply_error(res, body.status());
    EmbedRequest r;
    Status st = embed_common(*body, &r);
    if (!st.ok()) return reply_error(res, st);
    auto it = body->find("prompt");
    if (it != body->end() && !it->is_null() && !it->is_string()) {
      return reply_error(res, invalid_argument("'prompt' must be a string"));
    }
    if (it != body->end() && it->is_string() && !it->get<std::string>().empty())
      r.inputs.push_back(it->get<std::string>());
    Result<EmbedOutcome> out = run_embed(*this, r, /*normalize=*/false);
    if (!out.ok()) return reply_error(res, out.status());
    reply_json(res, Json{{"embedding", out->vectors.empty() ? std::vector<float>() : out->vectors[0]}});
  });

  http.Post("/v1/embeddings", [this](const httplib::Request& req, httplib::Response& res) {
    Result<json> body = parse_body(req.body);
    if (!body.ok()) return reply_openai_error(res, body.status());
    EmbedRequest r;
    Status st = embed_common(
        json{{"model", body->value("model", json())}, {"dimensions", body->value("dimensions", json())}}, &r);
    if (!st.ok()) return reply_openai_error(res, st);
    std::string encoding = "float";
    if (auto it = body->find("encoding_format"); it != body->end() && !it->is_null()) {
      if (!it->is_string() || (it->get<std::string>() != "float" && it->get<std::string>() != "base64")) {
        return reply_openai_error(res, invalid_argument("'encoding_format' must be \"float\" or \"base64\""));
      }
      encoding = it->get<std::string>();
    }
    auto it = body->find("input");
    if (it == body->end() || it->is_null())
      return reply_openai_error(res, invalid_argument("'input' is required"));
    Result<std::vector<std::string>> inputs = input_list(*it, "input");
    if (!inputs.ok()) return reply_openai_error(res, inputs.status());
    if (inputs->empty()) return reply_openai_error(res, invalid_argument("'input' must not be empty"));
    r.inputs = std::move(inputs).value();
    Result<EmbedOutcome> out = run_embed(*this, r, /*normalize=*/true);
    if (!out.ok()) return reply_openai_error(res, out.status());
    Json data = Json::array();
    for (size_t i = 0; i < out->vectors.size(); ++i) {
      Json e = {{"object", "embedding"}, {"index", i}};
      if (encoding == "base64") {
        e["embedding"] = floats_base64(out->vectors[i]);
      } else {
        e["embedding"] = out->vectors[i];
      }
      data.push_back(e);
    }
    reply_json(
        res, Json{{"object", "list"},
                  {"data", data},
                  {"model", out->display},
                  {"usage", {{"prompt_tokens", out->prompt_tokens}, {"total_tokens", out->prompt_tokens}}}});
  });
}

}  // namespace corral::server
