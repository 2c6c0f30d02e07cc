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

// Decimal units, as Ollama prints sizes ("270 MB").
std::string human_bytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) {
    b /= 1000;
    ++u;
  }
  char buf[32];
  if (u == 0 || b >= 10) {
    std::snprintf(buf, sizeof buf, "%.0f %s", b, units[u]);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", b, units[u]);
  }
  return buf;
}

// Parses "YYYY-MM-DDTHH:MM:SS[.frac]Z" (what the server writes) to seconds since the epoch.
bool parse_rfc3339(const std::string& s, std::time_t* out) {
  std::tm tm{};
  int y, mo, d, h, mi, sec;
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &sec) != 6) return false;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  *out = timegm(&tm);
  return true;
}

std::string until_text(const std::string& expires_at) {
  std::time_t t;
  if (!parse_rfc3339(expires_at, &t)) return "";
  double secs = std::difftime(t, std::time(nullptr));
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
  return {sub, [](Runtime& runtime) -> int {
            Result<ApiClient> client = ApiClient::from_env(runtime.env());
            Result<nlohmann::json> reply = client.ok() ? client->get("/api/ps") : Result<nlohmann::json>(client.status());
            if (!reply.ok()) {
              std::fprintf(stderr, "Error: %s\n", reply.status().message().c_str());
              return 1;
            }
            std::vector<std::vector<std::string>> rows = {{"NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"}};
            for (const auto& m : reply->value("models", nlohmann::json::array())) {
              std::string digest = m.value("digest", "");
              double size = m.value("size", 0.0);
              double vram = m.value("size_vram", 0.0);
              std::string processor = vram <= 0 ? "100% CPU"
                                      : vram >= size ? "100% GPU"
                                                     : std::to_string(static_cast<int>(100 - 100 * vram / size)) + "%/" +
                                                           std::to_string(static_cast<int>(100 * vram / size)) + "% CPU/GPU";
              rows.push_back({m.value("name", ""), digest.substr(0, 12), human_bytes(size), processor,
                              std::to_string(m.value("context_length", 0)), until_text(m.value("expires_at", ""))});
            }
            print_table(rows);
            return 0;
          }};
}

}  // namespace corral::cli
