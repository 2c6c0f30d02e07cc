#include "util/env.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace corral {
namespace {

const char* get(const char* name) {
  const char* v = std::getenv(name);  // the one place corral reads the environment
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

void read_int(const char* name, int* out) {
  const char* v = get(name);
  if (v == nullptr) return;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  if (end == v || *end != '\0' || n < 0 || n > 1 << 20) {
    std::fprintf(stderr, "warn env: ignoring %s=%s (not a non-negative integer)\n", name, v);
    return;
  }
  *out = static_cast<int>(n);
}

}  // namespace

EnvConfig load_env_config() {
  EnvConfig c;
  if (const char* v = get("CORRAL_HOST")) c.host = v;
  if (const char* v = get("CORRAL_ORIGINS")) c.origins = v;
  if (const char* v = get("CORRAL_MODELS")) {
    c.models_dir = v;
  } else if (const char* home = get("HOME")) {
    c.models_dir = std::string(home) + "/.corral/models";
  } else {
    c.models_dir = ".corral/models";
  }
  if (const char* v = get("CORRAL_REGISTRY")) c.registry = v;
  if (const char* v = get("CORRAL_REGISTRY_AUTH")) c.registry_auth = v;
  if (const char* v = get("CORRAL_REGISTRY_AUTH_FILE")) c.registry_auth_file = v;
  if (const char* v = get("CORRAL_DEBUG")) {
    if (std::string_view(v) != "0") c.log_level = LogLevel::kDebug;
  }
  if (const char* v = get("CORRAL_LOG")) {
    if (!parse_log_level(v, &c.log_level)) {
      std::fprintf(stderr, "warn env: ignoring CORRAL_LOG=%s (use error|warn|info|debug|trace)\n", v);
    }
  }
  if (const char* v = get("CORRAL_CPU_ISA")) c.cpu_isa = v;
  int cpu_repack = 1;
  read_int("CORRAL_CPU_REPACK", &cpu_repack);
  c.cpu_repack = cpu_repack != 0;
  read_int("CORRAL_NUM_THREADS", &c.num_threads);
  if (const char* v = get("CORRAL_DUMP_DIR")) c.dump_dir = v;
  if (const char* v = get("CORRAL_DEBUG_DUMP")) c.dump_dir = v;
  if (const char* v = get("CORRAL_DUMP_FILTER")) c.dump_filter = v;
  read_int("CORRAL_MAX_LOADED_MODELS", &c.max_loaded_models);
  read_int("CORRAL_MAX_QUEUE", &c.max_queue);
  read_int("CORRAL_NUM_PARALLEL", &c.num_parallel);
  if (const char* v = get("CORRAL_KEEP_ALIVE")) c.keep_alive = v;
  int use_mmap = 0;
  read_int("CORRAL_USE_MMAP", &use_mmap);
  c.use_mmap = use_mmap != 0;
  return c;
}

}  // namespace corral
