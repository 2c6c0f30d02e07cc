// Private to server/: the state behind ApiServer shared by its route files, and the httplib
// glue (JSON replies, Ollama and OpenAI error replies). Not included outside server/.
#pragma once

#include <httplib.h>

#include <memory>

#include "sched/scheduler.h"
#include "server/embed.h"
#include "server/encode.h"
#include "server/generation.h"
#include "server/models.h"
#include "server/requests.h"
#include "server/security.h"
#include "server/server.h"

namespace corral::server {

struct ApiServer::Impl {
  Runtime& runtime;
  store::Store store;
  GenerationDefaults defaults;
  DetailsCache details;
  int default_threads = 0;  // the shared pool's threads: what num_thread 0 means
  std::unique_ptr<sched::Scheduler> sched;
  std::unique_ptr<Embedder> embedder;
  TokenTables token_tables;
  OriginPolicy origins;
  std::string bind_host = "127.0.0.1";
  httplib::Server http;

  Impl(Runtime& rt, store::Store st) : runtime(rt), store(std::move(st)) {}
  void add_model_routes();
  void add_generate_routes();
  void add_openai_routes();
  void add_registry_routes();
  void add_embed_routes();
  void add_create_routes();
  // Host check, CORS and the body limit; false when it answered the request itself.
  bool guard(const httplib::Request& req, httplib::Response& res);
};

inline void reply_json(httplib::Response& res, const Json& j, int status = 200) {
  res.status = status;
  res.set_content(j.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json; charset=utf-8");
}

inline void reply_error(httplib::Response& res, const Status& s) {
  res.status = http_status(s);
  res.set_content(ollama_error_body(s.message()), "application/json; charset=utf-8");
}

inline void reply_openai_error(httplib::Response& res, const Status& s) {
  res.status = http_status(s);
  res.set_content(openai_error_body(res.status, s.message()), "application/json; charset=utf-8");
}

}  // namespace corral::server
