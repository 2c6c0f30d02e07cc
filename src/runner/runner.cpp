#include "runner/runner.h"

#include <algorithm>

#include "ml/dump.h"
#include "models/loader.h"

namespace corral {
namespace {

using Clock = std::chrono::steady_clock;

int64_t ns_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
}

Status validate(const RunnerOptions& o) {
  if (o.num_ctx < 1) return invalid_argument("num_ctx must be >= 1, got %d", o.num_ctx);
  if (o.max_sequences < 1 || o.max_sequences > kMaxKvSequences) {
    return invalid_argument("the number of parallel sequences must be in [1, %d], got %d", kMaxKvSequences,
                            o.max_sequences);
  }
  if (o.batch_size < 1) return invalid_argument("batch size must be >= 1, got %d", o.batch_size);
  return ok_status();
}

size_t common_prefix(std::span<const int32_t> a, std::span<const int32_t> b) {
  size_t n = std::min(a.size(), b.size()), i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

Result<std::unique_ptr<Runner>> Runner::load(const std::string& path, const RunnerOptions& options,
                                             const BackendRegistry& backends) {
  const Clock::time_point t0 = Clock::now();
  CORRAL_TRY(validate(options));
  auto opened = GgufFile::open(path, options.use_mmap ? MappedFile::Load::kMap : MappedFile::Load::kCopy);
  if (!opened.ok()) return opened.status().with_context(path);
  auto file = std::make_unique<GgufFile>(std::move(opened).value());
  auto model = load_model(*file);
  if (!model.ok()) return model.status().with_context(path);
  auto tokenizer = make_tokenizer(*file);
  if (!tokenizer.ok()) return tokenizer.status().with_context(path);
  CORRAL_ASSIGN_OR_RETURN(ChatFormat chat_format, chat_format_for(*file));
  const int64_t capacity = int64_t{options.num_ctx} * options.max_sequences;
  CORRAL_ASSIGN_OR_RETURN(KvCache cache, make_kv_cache(model.value()->cache_spec(), capacity,
                                                       options.max_sequences, options.kv_dtype));
  CORRAL_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend,
                          backends.create(options.backend, options.backend_options));
  if (!options.use_mmap) {
    // The weights are a private copy: the backend may rearrange them for its kernels once, here.
    CORRAL_TRY(file->set_writable(true));
    const Status prepared = backend->prepare_weights(*model.value()->weights());
    CORRAL_TRY(file->set_writable(false));
    if (!prepared.ok()) return prepared.with_context(path);
  }
  std::unique_ptr<DebugDumper> dumper;
  if (!options.dump.dir.empty()) {
    CORRAL_ASSIGN_OR_RETURN(dumper, DebugDumper::create(options.dump));
  }
  std::unique_ptr<Runner> r(new Runner(path, options, std::move(file), std::move(model).value(),
                                       std::move(tokenizer).value(), std::move(chat_format), std::move(cache),
                                       std::move(backend), std::move(dumper)));
  r->load_ns_ = ns_since(t0);
  return r;
}

Runner::Runner(std::string path, RunnerOptions options, std::unique_ptr<GgufFile> file,
               std::unique_ptr<Model> model, std::unique_ptr<Tokenizer> tokenizer, ChatFormat chat_format,
               KvCache cache, std::unique_ptr<Backend> backend, std::unique_ptr<DebugDumper> dumper)
    : path_(std::move(path)),
      options_(std::move(options)),
      file_(std::move(file)),
      model_(std::move(model)),
      tokenizer_(std::move(tokenizer)),
      chat_format_(std::move(chat_format)),
      cache_(std::move(cache)),
      backend_(std::move(backend)),
      dumper_(std::move(dumper)),
      slots_(static_cast<size_t>(options_.max_sequences)) {}

Runner::~Runner() = default;

Result<int> Runner::submit(GenerateRequest request) {
  Slot* best = nullptr;
  size_t best_prefix = 0;
  for (Slot& s : slots_) {
    if (s.session) continue;
    const size_t p = common_prefix(s.cached, request.prompt);
    if (best == nullptr || p > best_prefix) {
      best = &s;
      best_prefix = p;
    }
  }
  if (best == nullptr) {
    return unavailable("all %d sequence slots are busy", options_.max_sequences);
  }
  const int seq = static_cast<int>(best - slots_.data());
  // At least one prompt token must be evaluated to get logits for the first new token.
  if (!request.prompt.empty() && best_prefix >= request.prompt.size())
    best_prefix = request.prompt.size() - 1;
  CORRAL_TRY(cache_.remove(seq, static_cast<int32_t>(best_prefix), -1));
  best->cached.resize(best_prefix);
  CORRAL_ASSIGN_OR_RETURN(
      best->session, Session::create(std::move(request), seq, static_cast<int64_t>(best_prefix), *tokenizer_,
                                     options_.num_ctx));
  best->session->set_start(Clock::now());
  best->request_id = next_request_id_++;
  if (!load_reported_) {
    best->session->result().stats.load_ns = load_ns_;
    load_reported_ = true;
  }
  return best->request_id;
}

bool Runner::busy() const {
  return std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.session != nullptr; });
}

int Runner::free_slots() const {
  return static_cast<int>(
      std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.session == nullptr; }));
}

bool Runner::finished(int id) const {
  return std::any_of(finished_.begin(), finished_.end(),
                     [id](const Finished& f) { return f.request_id == id; });
}

Result<GenerateResult> Runner::take_result(int id) {
  for (auto it = finished_.begin(); it != finished_.end(); ++it) {
    if (it->request_id == id) {
      Result<GenerateResult> r = std::move(it->result);
      finished_.erase(it);
      return r;
    }
  }
  return not_found("request %d has not finished or its result was taken", id);
}

void Runner::retire(Slot& slot, Result<GenerateResult> result) {
  if (result.ok()) {
    std::span<const int32_t> cached = slot.session->cached_tokens();
    slot.cached.assign(cached.begin(), cached.end());
    result->stats.total_ns = ns_since(slot.session->start());
  } else {
    // The cache contents of a failed step are unknown: forget the sequence.
    (void)cache_.remove(slot.session->seq(), 0, -1);
    slot.cached.clear();
  }
  finished_.push_back(Finished{slot.request_id, std::move(result)});
  slot.session.reset();
  slot.request_id = -1;
}

Result<Tensor> Runner::compute(Context& ctx, const Batch& batch) {
  CORRAL_ASSIGN_OR_RETURN(Tensor logits, model_->forward(ctx, batch, cache_));
  Graph g = ctx.build({logits});
  CORRAL_TRY(allocator_.allocate(g));
  if (dumper_) {
    CORRAL_ASSIGN_OR_RETURN(GraphObserver observer, dumper_->next_step());
    backend_->set_observer(std::move(observer));
  }
  Status s = backend_->compute(g);
  if (dumper_) {
    backend_->set_observer(nullptr);
    if (s.ok()) s = dumper_->status();
  }
  CORRAL_TRY(s);
  return logits;
}

Status Runner::step() {
  // Sessions that were cancelled or finished without a step.
  for (Slot& slot : slots_) {
    if (slot.session && (slot.session->check_cancelled() || slot.session->done())) {
      retire(slot, std::move(slot.session->result()));
    }
  }
  struct Part {
    Slot* slot;
    int output_row;  // index into the logits rows, -1 when none
    bool prompt;     // fed prompt tokens
  };
  std::vector<Part> parts;
  batch_.clear();
  int n_out = 0;
  int64_t room = options_.batch_size;
  // Generated tokens first (one each), so decoding sequences are never starved by a prefill.
  for (Slot& slot : slots_) {
    Session* s = slot.session.get();
    if (s == nullptr || s->prefilling() || room == 0) continue;
    if (s->next_pos() >= options_.num_ctx) {
      // Context shift by re-computation: drop the cells after the kept prefix; the session's
      // remaining tokens are prefilled again at their new positions (below, this same step).
      std::optional<int32_t> keep = s->shift_context();
      Status st = keep ? cache_.remove(s->seq(), *keep, -1) : ok_status();
      if (!keep || !st.ok()) s->finish_length();
      continue;
    }
    batch_.add(s->pending()[0], s->next_pos(), s->seq(), true);
    s->consumed(1);
    parts.push_back(Part{&slot, n_out++, false});
    --room;
  }
  for (Slot& slot : slots_) {
    Session* s = slot.session.get();
    if (s == nullptr || !s->prefilling() || room == 0) continue;
    std::span<const int32_t> pending = s->pending();
    const int64_t n = std::min<int64_t>(room, static_cast<int64_t>(pending.size()));
    const bool last_chunk = n == static_cast<int64_t>(pending.size());
    for (int64_t i = 0; i < n; ++i) {
      batch_.add(pending[static_cast<size_t>(i)], s->next_pos() + static_cast<int32_t>(i), s->seq(),
                 last_chunk && i == n - 1);
    }
    s->consumed(n);
    parts.push_back(Part{&slot, last_chunk ? n_out++ : -1, true});
    room -= n;
  }
  if (batch_.empty()) {
    for (Slot& slot : slots_) {
      if (slot.session && slot.session->done()) retire(slot, std::move(slot.session->result()));
    }
    return ok_status();
  }

  const Clock::time_point t0 = Clock::now();
  Context ctx;
  Result<Tensor> logits = compute(ctx, batch_);
  std::vector<float> values;
  if (logits.ok()) values = read_f32(*logits);
  const int64_t compute_ns = ns_since(t0);
  if (!logits.ok()) {
    for (Part& p : parts) retire(*p.slot, logits.status());
    return logits.status();
  }
  const int64_t n_vocab = logits->dim(1);
  for (Part& p : parts) {
    Session* s = p.slot->session.get();
    const Clock::time_point ts = Clock::now();
    if (p.output_row >= 0) {
      std::span<const float> row(values.data() + static_cast<size_t>(p.output_row * n_vocab),
                                 static_cast<size_t>(n_vocab));
      Status st = s->on_logits(row);
      if (!st.ok()) {
        retire(*p.slot, st);
        continue;
      }
    }
    s->add_step_time(compute_ns + ns_since(ts), p.prompt);
  }
  for (Slot& slot : slots_) {
    if (slot.session && slot.session->done()) retire(slot, std::move(slot.session->result()));
  }
  return ok_status();
}

Result<GenerateResult> Runner::generate(GenerateRequest request) {
  CORRAL_ASSIGN_OR_RETURN(int id, submit(std::move(request)));
  while (!finished(id)) CORRAL_TRY(step());
  return take_result(id);
}

Result<Logits> Runner::decode(std::span<const int32_t> tokens, int seq, int32_t pos, bool all_logits) {
  if (seq < 0 || seq >= options_.max_sequences) {
    return invalid_argument("sequence %d is outside [0, %d)", seq, options_.max_sequences);
  }
  Slot& slot = slots_[static_cast<size_t>(seq)];
  if (slot.session) return unavailable("sequence %d is serving a request", seq);
  if (tokens.empty()) return invalid_argument("decode: no tokens");
  if (pos < 0 || int64_t{pos} + static_cast<int64_t>(tokens.size()) > options_.num_ctx) {
    return invalid_argument("decode: positions %d..%lld exceed the context window of %d tokens", pos,
                            static_cast<long long>(pos + static_cast<int64_t>(tokens.size()) - 1),
                            options_.num_ctx);
  }
  CORRAL_TRY(cache_.remove(seq, pos, -1));
  if (slot.cached.size() > static_cast<size_t>(pos)) slot.cached.resize(static_cast<size_t>(pos));
  Logits out;
  out.n_vocab = model_->config().vocab_size;
  for (size_t i = 0; i < tokens.size(); i += static_cast<size_t>(options_.batch_size)) {
    std::span<const int32_t> chunk =
        tokens.subspan(i, std::min(tokens.size() - i, size_t(options_.batch_size)));
    batch_.clear();
    batch_.add_sequence(chunk, pos + static_cast<int32_t>(i), seq, all_logits);
    Context ctx;
    Result<Tensor> logits = compute(ctx, batch_);
    if (!logits.ok()) {
      (void)cache_.remove(seq, 0, -1);
      slot.cached.clear();
      return logits.status();
    }
    if (all_logits || i + chunk.size() == tokens.size()) {
      std::vector<float> v = read_f32(*logits);
      out.values.insert(out.values.end(), v.begin(), v.end());
      out.n_rows += logits->dim(0);
    }
  }
  if (slot.cached.size() == static_cast<size_t>(pos))
    slot.cached.insert(slot.cached.end(), tokens.begin(), tokens.end());
  return out;
}

Status Runner::clear_cache(int seq) {
  if (seq >= options_.max_sequences)
    return invalid_argument("sequence %d is outside [0, %d)", seq, options_.max_sequences);
  for (size_t i = 0; i < slots_.size(); ++i) {
    if ((seq < 0 || static_cast<int>(i) == seq) && slots_[i].session) {
      return unavailable("sequence %zu is serving a request", i);
    }
  }
  CORRAL_TRY(cache_.remove(seq, 0, -1));
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (seq < 0 || static_cast<int>(i) == seq) slots_[i].cached.clear();
  }
  return ok_status();
}

}  // namespace corral
