// corral ps: the models a running server has loaded (NAME, ID, SIZE, PROCESSOR, CONTEXT, UNTIL).
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/store_cmds.h"

namespace corral::cli {
namespace {

std::string until_text(const std::string& expires_at) {
  const auto t = parse_rfc3339(expires_at);  // store_cmds.h: fractions and zone offsets too
  if (!t) return "";
  const double secs = std::chrono::duration<double>(*t - std::chrono::system_clock::now()).count();
  if (secs > 50.0 * 365 * 86400) return "Forever";
  if (secs <= 0) return "Stopping...";
  auto plural = [](long n, const char* unit) {
    return std::to_string(n) + " " + unit + (n == 1 ? "" : "s") + " from now";
  };
  if (secs < 60) return secs < 2 ? "Less than a second from now" : plural(static_cast<long>(secs), "second");
  if (secs < 3600) return plural(static_cast<long>(secs / 60), "minute");
  if (secs < 86400 * 2) return plural(static_cast<long>(secs / 3600), "hour");
  return plural(static_cast<long>(secs / 86400), "day");
}

}  // namespace

Command add_ps_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("ps", "List the models the running server has loaded");
  return {
      sub, [](Runtime& runtime) -> int {
        Result<ApiClient> client = ApiClient::from_env(runtime.env());
        Result<nlohmann::json> reply =
            client.ok() ? client->get("/api/ps") : Result<nlohmann::json>(client.status());
        if (!reply.ok()) {
          std::fprintf(stderr, "Error: %s\n", reply.status().message().c_str());
          return 1;
        }
        std::vector<std::vector<std::string>> rows = {
            {"NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"}};
        for (const auto& m : reply->value("models", nlohmann::json::array())) {
          std::string digest = m.value("digest", "");
          double size = m.value("size", 0.0);
          double vram = m.value("size_vram", 0.0);
          std::string processor = vram <= 0 ? "100% CPU"
                                  : vram >= size
                                      ? "100% GPU"
                                      : std::to_string(static_cast<int>(100 - 100 * vram / size)) + "%/" +
                                            std::to_string(static_cast<int>(100 * vram / size)) + "% CPU/GPU";
          rows.push_back({m.value("name", ""), digest.substr(0, 12), human_bytes(static_cast<uint64_t>(size)),
                          processor, std::to_string(m.value("context_length", 0)),
                          until_text(m.value("expires_at", ""))});
        }
        print_table(rows);
        return 0;
      }};
}

}  // namespace corral::cli
