// model_dump_forward GGUF TOKENS.npy OUT_DIR [N]: one forward pass over the first N tokens
// (default all) with every named tensor dumped to OUT_DIR (models/debug_dump.h, no per-step
// folder), for tools/compare_dumps.py. Respects CORRAL_DUMP_FILTER.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "backends/cpu/cpu_backend.h"
#include "models/debug_dump.h"
#include "models/evaluate.h"
#include "models/loader.h"
#include "models/npy.h"

using namespace corral;

int fail(const Status& s) {
  std::fprintf(stderr, "model_dump_forward: %s\n", s.to_string().c_str());
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s GGUF TOKENS.npy OUT_DIR [N]\n", argv[0]);
    return 2;
  }
  auto model = open_model(argv[1]);
  if (!model.ok()) return fail(model.status());
  testing::NpyArray tokens;
  if (!testing::read_npy(argv[2], &tokens) || tokens.dtype != "<i4") return fail(invalid_argument("bad tokens file"));
  std::vector<int32_t> ids = tokens.i32();
  if (argc > 4) ids.resize(std::min(ids.size(), static_cast<size_t>(std::atoi(argv[4]))));
  DumpOptions opts = dump_options_from_env(load_env_config());
  opts.dir = argv[3];
  opts.per_step = false;
  auto dumper = DebugDumper::create(opts);
  if (!dumper.ok()) return fail(dumper.status());
  auto observer = (*dumper)->next_step();
  if (!observer.ok()) return fail(observer.status());
  BackendOptions bo;
  bo.num_threads = 2;
  auto backend = cpu::CpuBackend::create(bo);
  if (!backend.ok()) return fail(backend.status());
  (*backend)->set_observer(*observer);
  auto kv = make_kv_cache((*model)->cache_spec(), static_cast<int64_t>(ids.size()) + 32, 1, DType::kF32);
  if (!kv.ok()) return fail(kv.status());
  Batch batch;
  batch.add_sequence(ids, 0, 0, true);
  GraphAllocator alloc;
  auto logits = evaluate(**model, **backend, alloc, batch, *kv);
  if (!logits.ok()) return fail(logits.status());
  if (!(*dumper)->status().ok()) return fail((*dumper)->status());
  std::printf("dumped %zu tokens to %s\n", ids.size(), argv[3]);
  return 0;
}
