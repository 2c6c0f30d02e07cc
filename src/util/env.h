// EnvConfig: every CORRAL_* environment variable, read once at start-up into a typed struct
// (docs/environment.md lists them). Nothing else in corral calls getenv.
#pragma once

#include <string>

#include "util/log.h"

namespace corral {

struct EnvConfig {
  std::string host = "127.0.0.1:11434";         // CORRAL_HOST
  std::string origins;                          // CORRAL_ORIGINS: extra allowed CORS origins, comma-separated
  std::string models_dir;                       // CORRAL_MODELS (default ~/.corral/models)
  std::string registry = "registry.ollama.ai";  // CORRAL_REGISTRY
  std::string registry_auth;                    // CORRAL_REGISTRY_AUTH ("user:password")
  std::string registry_auth_file;               // CORRAL_REGISTRY_AUTH_FILE
  LogLevel log_level = LogLevel::kWarn;  // CORRAL_LOG (error|warn|info|debug|trace); CORRAL_DEBUG=1 -> debug
  std::string cpu_isa;                   // CORRAL_CPU_ISA (generic|avx2|avx512), empty = best
  bool cpu_repack = true;                // CORRAL_CPU_REPACK=0: keep weights in their file layout
  int num_threads = 0;                   // CORRAL_NUM_THREADS, 0 = physical cores
  std::string dump_dir;                  // CORRAL_DEBUG_DUMP (alias CORRAL_DUMP_DIR)
  std::string dump_filter;               // CORRAL_DUMP_FILTER (regex over tensor names)
  int max_loaded_models = 0;             // CORRAL_MAX_LOADED_MODELS, 0 = automatic
  int max_queue = 512;                   // CORRAL_MAX_QUEUE
  int num_parallel = 1;                  // CORRAL_NUM_PARALLEL
  std::string keep_alive = "5m";         // CORRAL_KEEP_ALIVE
  bool use_mmap = false;                 // CORRAL_USE_MMAP=1: map model files instead of reading them in
};

// Reads the process environment. Unparsable values fall back to defaults with a warning on stderr.
EnvConfig load_env_config();

}  // namespace corral
