#include "cli/client.h"

#include <httplib.h>

#include <cstdio>

#include "server/server.h"

namespace corral::cli {

struct ApiClient::Impl {
  httplib::Client http;
  Impl(const std::string& host, int port) : http(host, port) {
    http.set_connection_timeout(5);
    http.set_read_timeout(3600);
    http.set_write_timeout(60);
  }
};

ApiClient::ApiClient(std::unique_ptr<Impl> impl, std::string url)
    : impl_(std::move(impl)), url_(std::move(url)) {}
ApiClient::ApiClient(ApiClient&&) noexcept = default;
ApiClient& ApiClient::operator=(ApiClient&&) noexcept = default;
ApiClient::~ApiClient() = default;

Result<ApiClient> ApiClient::from_env(const EnvConfig& env) {
  CORRAL_ASSIGN_OR_RETURN(server::HostPort hp, server::parse_host(env.host));
  // A server bound to every interface is reached on loopback.
  if (hp.host == "0.0.0.0") hp.host = "127.0.0.1";
  return ApiClient(std::make_unique<Impl>(hp.host, hp.port), hp.url());
}

namespace {

Status unreachable(const std::string& url, httplib::Error e) {
  return unavailable("could not connect to corral at %s (%s); is `corral serve` running?", url.c_str(),
                     httplib::to_string(e).c_str());
}

Status reply_status(int code, const std::string& body) {
  std::string message = body;
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error")) {
    const auto& e = j["error"];
    message = e.is_string() ? e.get<std::string>() : e.is_object() ? e.value("message", body) : e.dump();
  }
  StatusCode sc = code == 404   ? StatusCode::kNotFound
                  : code == 400 ? StatusCode::kInvalidArgument
                  : code == 501 ? StatusCode::kUnsupported
                  : code == 503 ? StatusCode::kUnavailable
                                : StatusCode::kInternal;
  return Status(sc, message);
}

Result<nlohmann::json> to_json(const httplib::Result& r, const std::string& url) {
  if (!r) return unreachable(url, r.error());
  if (r->status < 200 || r->status >= 300) return reply_status(r->status, r->body);
  if (r->body.empty()) return nlohmann::json::object();
  nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded()) return corrupt("the server at %s sent a reply that is not JSON", url.c_str());
  return j;
}

}  // namespace

Result<std::optional<ApiClient>> ApiClient::connect_if_running(const EnvConfig& env) {
  CORRAL_ASSIGN_OR_RETURN(ApiClient client, from_env(env));
  httplib::Result r = client.impl_->http.Get("/api/version");
  if (!r || r->status != 200) return std::optional<ApiClient>();
  return std::optional<ApiClient>(std::move(client));
}

Result<nlohmann::json> ApiClient::get(const std::string& path) {
  return to_json(impl_->http.Get(path), url_);
}

Result<nlohmann::json> ApiClient::del(const std::string& path, const nlohmann::json& body) {
  return to_json(impl_->http.Delete(path, body.dump(), "application/json"), url_);
}

Result<bool> ApiClient::exists(const std::string& path) {
  httplib::Result r = impl_->http.Head(path);
  if (!r) return unreachable(url_, r.error());
  if (r->status == 200) return true;
  if (r->status == 404) return false;
  return reply_status(r->status, r->body);
}

Status ApiClient::post_file(const std::string& path, const std::string& file_path) {
  std::FILE* f = std::fopen(file_path.c_str(), "rb");
  if (f == nullptr) return io_error("cannot open %s for upload", file_path.c_str());
  std::fseek(f, 0, SEEK_END);
  const long size = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  if (size < 0) {
    std::fclose(f);
    return io_error("cannot read the size of %s", file_path.c_str());
  }
  bool read_failed = false;
  httplib::Result r = impl_->http.Post(
      path, static_cast<size_t>(size),
      [&](size_t offset, size_t length, httplib::DataSink& sink) {
        char buf[1 << 16];
        if (std::fseek(f, static_cast<long>(offset), SEEK_SET) != 0) {
          read_failed = true;
          return false;
        }
        const size_t n = std::fread(buf, 1, std::min(length, sizeof buf), f);
        if (n == 0) {
          read_failed = true;
          return false;
        }
        return sink.write(buf, n);
      },
      "application/octet-stream");
  std::fclose(f);
  if (read_failed) return io_error("reading %s for upload failed", file_path.c_str());
  return to_json(r, url_).status();
}

Result<nlohmann::json> ApiClient::post(const std::string& path, const nlohmann::json& body) {
  return to_json(impl_->http.Post(path, body.dump(), "application/json"), url_);
}

Status ApiClient::post_stream(const std::string& path, const nlohmann::json& body,
                              const std::function<bool(const nlohmann::json&)>& on_line) {
  std::string pending, error_body;
  int status = 0;
  Status failure;
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.body = body.dump();
  req.set_header("Content-Type", "application/json");
  req.response_handler = [&](const httplib::Response& res) {
    status = res.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    if (status < 200 || status >= 300) {
      error_body.append(data, len);
      return error_body.size() < (1u << 20);
    }
    pending.append(data, len);
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (line.empty()) continue;
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded()) {
        failure = corrupt("the server sent a line that is not JSON");
        return false;
      }
      if (j.is_object() && j.contains("error")) {
        failure = Status(StatusCode::kInternal,
                         j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump());
        return false;
      }
      if (!on_line(j)) return false;
    }
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  bool ok = impl_->http.send(req, res, err);
  if (!failure.ok()) return failure;
  if (status != 0 && (status < 200 || status >= 300)) return reply_status(status, error_body);
  if (!ok && err != httplib::Error::Canceled) return unreachable(url_, err);
  return ok_status();
}

}  // namespace corral::cli
