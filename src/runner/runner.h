// Runner: one loaded model serving several sequences. It owns the mapped GGUF, the Model, the
// tokenizer, the chat format, the KV cache (num_ctx cells per sequence slot), the backend and
// the graph allocator (its plan is reused across same-shaped decode steps). step() gathers the
// ready tokens of all active sessions into one Batch — generated tokens first, then prompt
// chunks up to batch_size tokens — runs the forward pass, and lets each session sample from its
// logits row, stream its text and finish (EOG token or stop string: "stop"; num_predict or a
// full context: "length"). A new request on a slot reuses the longest cached token prefix.
// Not thread-safe: one thread drives it. Depends on formats/, ml/, kv/, models/, tokenizer/,
// template/, sample/ and util/.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "kv/kv_cache.h"
#include "ml/allocator.h"
#include "ml/backend_registry.h"
#include "models/debug_dump.h"
#include "models/evaluate.h"
#include "models/model.h"
#include "runner/chat_format.h"
#include "runner/session.h"
#include "tokenizer/tokenizer.h"

namespace corral {

struct RunnerOptions {
  int num_ctx = 4096;     // context window per sequence (tokens); capped by nothing else
  int max_sequences = 1;  // concurrent sequences (KV slots); the cache holds num_ctx * this
  int batch_size = 512;   // most tokens in one forward pass (prompt chunks)
  DType kv_dtype = DType::kF16;
  std::string backend = "cpu";
  BackendOptions backend_options;  // threads / shared pool, ISA override
  DumpOptions dump;                // CORRAL_DEBUG_DUMP: every named tensor of every step as .npy
  // Weights: false (the default) reads the GGUF once into private memory, true maps the file
  // (faster load, pages shared with the page cache; see MappedFile::Load for the trade).
  bool use_mmap = false;
};

class Runner {
 public:
  // Opens and loads a GGUF. Errors name the file: kNotFound / kIo (cannot open), kCorrupt (not a
  // GGUF, bad tensors), kUnsupported (architecture), kInvalidArgument (options).
  static Result<std::unique_ptr<Runner>> load(const std::string& path, const RunnerOptions& options,
                                              const BackendRegistry& backends);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  const GgufFile& file() const { return *file_; }
  const Model& model() const { return *model_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const ChatFormat& chat_format() const { return chat_format_; }
  const RunnerOptions& options() const { return options_; }
  const std::string& path() const { return path_; }
  int64_t load_ns() const { return load_ns_; }

  // Queues a request on a free sequence slot (the one whose cached tokens share the longest
  // prefix with the prompt). Returns its id. kUnavailable when every slot is busy.
  Result<int> submit(GenerateRequest request);
  // One forward pass over the active sessions (no-op when idle). An error fails every active
  // request (they are finished and their results report it).
  Status step();
  bool busy() const;
  // Sequence slots without an active request (submit() succeeds while this is > 0).
  int free_slots() const;
  // Whether request `id` finished; take_result() then hands out its result once.
  bool finished(int id) const;
  Result<GenerateResult> take_result(int id);
  // submit() + step() until done.
  Result<GenerateResult> generate(GenerateRequest request);

  // Low level (benchmarks, perplexity, tests): evaluates `tokens` of sequence `seq` at positions
  // pos, pos+1, ... in chunks of batch_size, returning the logits of every token (all_logits)
  // or of the last one. The sequence's cached tokens at >= pos are dropped first.
  Result<Logits> decode(std::span<const int32_t> tokens, int seq, int32_t pos, bool all_logits);
  // Forgets every cached token of `seq` (seq < 0: all sequences).
  Status clear_cache(int seq = -1);
  const AllocationStats& allocation_stats() const { return allocator_.stats(); }
  const KvCache& cache() const { return cache_; }

 private:
  struct Slot {
    std::unique_ptr<Session> session;  // active request, or null
    int request_id = -1;
    std::vector<int32_t> cached;  // tokens the cache holds for this slot
  };
  struct Finished {
    int request_id;
    Result<GenerateResult> result;
  };

  Runner(std::string path, RunnerOptions options, std::unique_ptr<GgufFile> file,
         std::unique_ptr<Model> model, std::unique_ptr<Tokenizer> tokenizer, ChatFormat chat_format,
         KvCache cache, std::unique_ptr<Backend> backend, std::unique_ptr<DebugDumper> dumper);
  Result<Tensor> compute(Context& ctx, const Batch& batch);
  void retire(Slot& slot, Result<GenerateResult> result);

  std::string path_;
  RunnerOptions options_;
  std::unique_ptr<GgufFile> file_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  ChatFormat chat_format_;
  KvCache cache_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<DebugDumper> dumper_;
  GraphAllocator allocator_;
  std::vector<Slot> slots_;
  std::vector<Finished> finished_;
  Batch batch_;
  int next_request_id_ = 0;
  int64_t load_ns_ = 0;
  bool load_reported_ = false;
};

}  // namespace corral
