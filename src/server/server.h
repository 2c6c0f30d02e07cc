// ApiServer: `corral serve` — Ollama's /api/* and OpenAI's /v1/* over HTTP (cpp-httplib stays
// inside server/*.cpp). It owns the store handle, the scheduler (loading runners through the
// Runtime's backends) and the HTTP listener. parse_host() reads CORRAL_HOST values.
// Depends on runtime/, sched/, store/, runner/ and server/ helpers.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "runtime/runtime.h"
#include "store/store.h"
#include "util/status.h"

namespace corral::server {

struct HostPort {
  std::string host = "127.0.0.1";
  int port = 11434;
  std::string url() const { return "http://" + host + ":" + std::to_string(port); }
};

// "127.0.0.1:11434", "0.0.0.0", ":8080", "localhost:1234", "http://h:1" (scheme dropped);
// a missing host is 127.0.0.1, a missing port 11434. invalid_argument otherwise.
Result<HostPort> parse_host(std::string_view text);

class ApiServer {
 public:
  ApiServer(Runtime& runtime, store::Store store);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds and serves until stop(); io_error when the address cannot be bound.
  Status listen(const HostPort& where);
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace corral::server
