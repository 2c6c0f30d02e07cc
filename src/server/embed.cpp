#include "server/embed.h"

#include <cmath>
#include <cstring>

#include "ml/dump.h"
#include "models/batch.h"

namespace corral::server {

Result<Pooling> pooling_from_gguf(const GgufFile& file) {
  std::string arch = file.architecture();
  std::optional<int64_t> v = file.get_int(arch + ".pooling_type");
  if (!v) return Pooling::kNone;
  switch (*v) {
    case 0: return Pooling::kNone;
    case 1: return Pooling::kMean;
    case 2: return Pooling::kCls;
    case 3: return Pooling::kLast;
    default:
      return invalid_argument("%s.pooling_type %lld is not supported (none, mean, cls and last are)", arch.c_str(),
                              static_cast<long long>(*v));
  }
}

void l2_normalize(std::vector<float>& v) {
  double sum = 0;
  for (float x : v) sum += static_cast<double>(x) * x;
  if (sum <= 0) return;
  double inv = 1.0 / std::sqrt(sum);
  for (float& x : v) x = static_cast<float>(x * inv);
}

std::string floats_base64(std::span<const float> v) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<unsigned char> bytes(v.size() * 4);
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t u;
    std::memcpy(&u, &v[i], 4);
    for (int b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<unsigned char>(u >> (8 * b));  // little-endian
  }
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = static_cast<uint32_t>(bytes[i]) << 16;
    size_t rem = bytes.size() - i;
    if (rem > 1) n |= static_cast<uint32_t>(bytes[i + 1]) << 8;
    if (rem > 2) n |= bytes[i + 2];
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rem > 1 ? kAlphabet[(n >> 6) & 63] : '=';
    out += rem > 2 ? kAlphabet[n & 63] : '=';
  }
  return out;
}

Result<std::vector<float>> Embedder::embed(const Model& model, std::span<const int32_t> tokens, Pooling pooling,
                                           int batch_size) {
  if (tokens.empty()) return invalid_argument("embedding input is empty after tokenization");
  if (batch_size < 1) batch_size = 512;
  std::lock_guard<std::mutex> lock(mu_);
  if (!backend_) {
    CORRAL_ASSIGN_OR_RETURN(backend_, backends_.create("cpu", options_));
    allocator_ = std::make_unique<GraphAllocator>();
  }
  CORRAL_ASSIGN_OR_RETURN(KvCache cache, make_kv_cache(model.cache_spec(), static_cast<int64_t>(tokens.size()), 1));
  const int64_t dim = model.config().hidden_size;
  std::vector<double> acc(static_cast<size_t>(dim), 0.0);
  int64_t rows_pooled = 0;
  std::vector<float> last;
  Status observed = ok_status();
  const size_t n = tokens.size();
  for (size_t start = 0; start < n; start += static_cast<size_t>(batch_size)) {
    size_t end = std::min(n, start + static_cast<size_t>(batch_size));
    Batch batch;
    for (size_t i = start; i < end; ++i) {
      bool out = pooling == Pooling::kMean || (pooling == Pooling::kCls && i == 0) ||
                 ((pooling == Pooling::kNone || pooling == Pooling::kLast) && i + 1 == n);
      batch.add(tokens[i], static_cast<int32_t>(i), 0, out);
    }
    bool want = pooling == Pooling::kMean || (pooling == Pooling::kCls && start == 0) || end == n;
    backend_->set_observer([&](const Tensor& node) {
      if (!want || node.name() != "result_norm") return;
      if (node.rank() != 2 || node.dim(1) != dim) {
        observed = internal_error("result_norm has an unexpected shape");
        return;
      }
      std::vector<float> h = read_f32(node);
      for (int64_t r = 0; r < node.dim(0); ++r) {
        const float* row = h.data() + r * dim;
        if (pooling == Pooling::kMean) {
          for (int64_t d = 0; d < dim; ++d) acc[static_cast<size_t>(d)] += row[d];
          ++rows_pooled;
        } else {
          last.assign(row, row + dim);
        }
      }
    });
    Context ctx;
    Result<Tensor> logits = model.forward(ctx, batch, cache);
    if (!logits.ok()) {
      backend_->set_observer(nullptr);
      return logits.status();
    }
    Graph g = ctx.build({*logits});
    Status s = allocator_->allocate(g);
    if (s.ok()) s = backend_->compute(g);
    backend_->set_observer(nullptr);
    CORRAL_TRY(s);
    CORRAL_TRY(observed);
  }
  if (pooling == Pooling::kMean) {
    if (rows_pooled == 0) return internal_error("no hidden state was captured");
    std::vector<float> out(static_cast<size_t>(dim));
    for (int64_t d = 0; d < dim; ++d) out[static_cast<size_t>(d)] = static_cast<float>(acc[static_cast<size_t>(d)] / rows_pooled);
    return out;
  }
  if (last.empty()) return internal_error("no hidden state was captured (the model names no result_norm)");
  return last;
}

}  // namespace corral::server
