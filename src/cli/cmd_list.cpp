// corral list: NAME, ID (12 hex digits of the manifest digest), SIZE, MODIFIED, as Ollama
// prints them: from GET /api/tags of the server at CORRAL_HOST when one answers, else from the
// store in this process. Also the shared store helpers of store_cmds.h.
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <vector>

#include "cli/commands.h"
#include "cli/store_cmds.h"
#if CORRAL_WITH_SERVER
#include "cli/client.h"
#endif

namespace corral::cli {

Result<store::Store> open_store(const Runtime& runtime) {
  return store::Store::open(runtime.env());
}

Result<std::string> store_model_path(const Runtime& runtime, std::string_view name) {
  CORRAL_ASSIGN_OR_RETURN(store::Store st, open_store(runtime));
  CORRAL_ASSIGN_OR_RETURN(store::ModelName model, st.parse_name(name));
  if (!st.has_model(model))
    return not_found("model '%.*s' not found", static_cast<int>(name.size()), name.data());
  CORRAL_ASSIGN_OR_RETURN(std::vector<store::Layer> layers, st.layers(model, store::media_type::kModel));
  if (layers.empty())
    return not_found("model '%.*s' has no model layer", static_cast<int>(name.size()), name.data());
  return st.blobs().path(layers.front().digest);
}

std::string human_bytes(uint64_t bytes) {
  static const struct {
    double scale;
    const char* unit;
  } kUnits[] = {{1e12, "TB"}, {1e9, "GB"}, {1e6, "MB"}, {1e3, "KB"}};
  for (const auto& u : kUnits) {
    if (static_cast<double>(bytes) >= u.scale) {
      const double v = static_cast<double>(bytes) / u.scale;
      char buf[32];
      if (v >= 10 || v == std::trunc(v))
        std::snprintf(buf, sizeof buf, "%d %s", static_cast<int>(v), u.unit);
      else
        std::snprintf(buf, sizeof buf, "%.1f %s", v, u.unit);
      return buf;
    }
  }
  return std::to_string(bytes) + " B";
}

std::string human_age(std::chrono::system_clock::duration age) {
  const double secs = std::chrono::duration<double>(age).count();
  auto plural = [](long long n, const char* unit) { return std::to_string(n) + " " + unit + " ago"; };
  if (secs < 1) return "Less than a second ago";
  if (secs < 2) return "1 second ago";
  if (secs < 60) return plural(static_cast<long long>(secs), "seconds");
  const long long minutes = static_cast<long long>(secs / 60);
  if (minutes == 1) return "About a minute ago";
  if (minutes < 60) return plural(minutes, "minutes");
  const long long hours = static_cast<long long>(secs / 3600 + 0.5);
  if (hours == 1) return "About an hour ago";
  if (hours < 48) return plural(hours, "hours");
  if (hours < 24 * 7 * 2) return plural(hours / 24, "days");
  if (hours < 24 * 30 * 2) return plural(hours / 24 / 7, "weeks");
  if (hours < 24 * 365 * 2) return plural(hours / 24 / 30, "months");
  return plural(static_cast<long long>(secs / 3600 / 24 / 365), "years");
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& text) {
  int y, mo, d, h, mi, sec, used = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  auto t = std::chrono::system_clock::from_time_t(timegm(&tm));
  size_t i = static_cast<size_t>(used);
  if (i < text.size() && text[i] == '.') {  // fraction: up to nanoseconds
    int64_t ns = 0, scale = 100000000;
    for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, scale /= 10)
      ns += (text[i] - '0') * scale;
    t += std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(ns));
  }
  int oh = 0, om = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-') &&
      std::sscanf(text.c_str() + i + 1, "%2d:%2d", &oh, &om) == 2) {
    const auto offset = std::chrono::hours(oh) + std::chrono::minutes(om);
    t = text[i] == '+' ? t - offset : t + offset;
  }
  return t;
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 4, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  }
}

int print_error(const Status& status) {
  std::fprintf(stderr, "Error: %s\n", status.message().c_str());
  return 1;
}

namespace {

using Rows = std::vector<std::vector<std::string>>;

#if CORRAL_WITH_SERVER
Status list_remote(ApiClient& client, Rows* rows) {
  CORRAL_ASSIGN_OR_RETURN(nlohmann::json tags, client.get("/api/tags"));
  const auto now = std::chrono::system_clock::now();
  for (const auto& m : tags.value("models", nlohmann::json::array())) {
    if (!m.is_object()) return corrupt("the server's /api/tags lists a model that is not an object");
    const auto modified = parse_rfc3339(m.value("modified_at", ""));
    rows->push_back({m.value("name", ""), m.value("digest", "").substr(0, 12),
                     human_bytes(m.value("size", uint64_t{0})), modified ? human_age(now - *modified) : ""});
  }
  return ok_status();
}
#endif

int run_list(Runtime& runtime) {
  Rows rows = {{"NAME", "ID", "SIZE", "MODIFIED"}};
#if CORRAL_WITH_SERVER
  auto client = ApiClient::connect_if_running(runtime.env());
  if (!client.ok()) return print_error(client.status());
  if (*client) {
    if (Status s = list_remote(**client, &rows); !s.ok()) return print_error(s);
    print_table(rows);
    return 0;
  }
#endif
  auto st = open_store(runtime);
  if (!st.ok()) return print_error(st.status());
  std::vector<std::string> problems;
  auto entries = st->list(&problems);
  if (!entries.ok()) return print_error(entries.status());
  const auto now = std::chrono::system_clock::now();
  for (const auto& e : *entries) {
    rows.push_back({e.name.display_with_tag(st->defaults()),
                    std::string(e.manifest_digest.hex().substr(0, 12)), human_bytes(e.size),
                    human_age(now - e.modified)});
  }
  print_table(rows);
  for (const auto& p : problems) std::fprintf(stderr, "warning: %s\n", p.c_str());
  return 0;
}

}  // namespace

Command add_list_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("list", "List models in the local store");
  sub->alias("ls");
  return {sub, [](Runtime& runtime) { return run_list(runtime); }};
}

}  // namespace corral::cli
