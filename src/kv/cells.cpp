#include "kv/cells.h"

#include <algorithm>
#include <limits>

#include "util/check.h"

namespace corral {

KvCells::KvCells(int64_t capacity, int max_sequences) : max_sequences_(max_sequences) {
  CORRAL_CHECK(capacity >= 1 && max_sequences >= 1 && max_sequences <= kMaxKvSequences,
               "KvCells(%lld, %d): bad geometry", static_cast<long long>(capacity), max_sequences);
  cells_.resize(static_cast<size_t>(capacity));
}

bool KvCells::has_seq(int64_t cell, int seq) const {
  return seq >= 0 && seq < kMaxKvSequences && cells_[static_cast<size_t>(cell)].seqs.test(static_cast<size_t>(seq));
}

int64_t KvCells::end() const {
  for (int64_t c = capacity(); c > 0; --c) {
    if (!is_free(c - 1)) return c;
  }
  return 0;
}

int32_t KvCells::seq_pos_max(int seq) const {
  int32_t best = -1;
  for (int64_t c = 0; c < capacity(); ++c) {
    if (has_seq(c, seq)) best = std::max(best, pos(c));
  }
  return best;
}

int32_t KvCells::seq_pos_min(int seq) const {
  int32_t best = -1;
  for (int64_t c = 0; c < capacity(); ++c) {
    if (has_seq(c, seq) && (best < 0 || pos(c) < best)) best = pos(c);
  }
  return best;
}

Status KvCells::check_seq(int seq, const char* what) const {
  if (seq < 0 || seq >= max_sequences_) {
    return invalid_argument("kv cache: %s sequence id %d outside [0, %d)", what, seq, max_sequences_);
  }
  return ok_status();
}

Result<std::vector<int32_t>> KvCells::place(std::span<const int32_t> positions, std::span<const int32_t> seq_ids) {
  if (positions.size() != seq_ids.size()) {
    return invalid_argument("kv cache: %zu positions for %zu sequence ids", positions.size(), seq_ids.size());
  }
  std::vector<int32_t> last(static_cast<size_t>(max_sequences_), -1);  // highest position per sequence
  for (const Cell& cell : cells_) {
    if (cell.seqs.none()) continue;
    for (int s = 0; s < max_sequences_; ++s) {
      if (cell.seqs.test(static_cast<size_t>(s))) last[static_cast<size_t>(s)] = std::max(last[static_cast<size_t>(s)], cell.pos);
    }
  }
  for (size_t i = 0; i < positions.size(); ++i) {
    CORRAL_TRY(check_seq(seq_ids[i], "batch"));
    int32_t& prev = last[static_cast<size_t>(seq_ids[i])];
    if (positions[i] < 0 || positions[i] <= prev) {
      return invalid_argument("kv cache: token %zu of sequence %d has position %d, but the sequence already "
                              "holds position %d (positions must increase; remove() stale ones first)",
                              i, seq_ids[i], positions[i], prev);
    }
    prev = positions[i];
  }
  if (static_cast<int64_t>(positions.size()) > free()) {
    return unavailable("kv cache full: %zu tokens need cells but only %lld of %lld are free", positions.size(),
                       static_cast<long long>(free()), static_cast<long long>(capacity()));
  }
  std::vector<int32_t> rows;
  rows.reserve(positions.size());
  int64_t c = 0;
  for (size_t i = 0; i < positions.size(); ++i) {
    while (!is_free(c)) ++c;
    Cell& cell = cells_[static_cast<size_t>(c)];
    cell.pos = positions[i];
    cell.seqs.set(static_cast<size_t>(seq_ids[i]));
    ++used_;
    rows.push_back(static_cast<int32_t>(c));
  }
  return rows;
}

Status KvCells::remove(int seq, int32_t begin, int32_t end) {
  if (seq >= 0) CORRAL_TRY(check_seq(seq, "remove:"));
  const int32_t hi = end < 0 ? std::numeric_limits<int32_t>::max() : end;
  for (Cell& cell : cells_) {
    if (cell.seqs.none() || cell.pos < begin || cell.pos >= hi) continue;
    if (seq < 0) {
      cell.seqs.reset();
    } else {
      cell.seqs.reset(static_cast<size_t>(seq));
    }
    if (cell.seqs.none()) {
      cell.pos = -1;
      --used_;
    }
  }
  return ok_status();
}

Status KvCells::copy_prefix(int src, int dst, int32_t n) {
  CORRAL_TRY(check_seq(src, "copy_prefix source"));
  CORRAL_TRY(check_seq(dst, "copy_prefix destination"));
  if (src == dst) return invalid_argument("kv cache: copy_prefix from sequence %d to itself", src);
  CORRAL_TRY(remove(dst, 0, -1));
  for (Cell& cell : cells_) {
    if (cell.seqs.test(static_cast<size_t>(src)) && cell.pos < n) cell.seqs.set(static_cast<size_t>(dst));
  }
  return ok_status();
}

void KvCells::clear() {
  for (Cell& cell : cells_) cell = Cell{};
  used_ = 0;
}

void KvCells::build_mask(std::span<const int32_t> positions, std::span<const int32_t> seq_ids, int64_t n_kv,
                         float* out) const {
  CORRAL_CHECK(positions.size() == seq_ids.size() && n_kv <= capacity(), "build_mask: bad arguments");
  const float kBlocked = -std::numeric_limits<float>::infinity();
  for (size_t t = 0; t < positions.size(); ++t) {
    float* row = out + static_cast<int64_t>(t) * n_kv;
    for (int64_t c = 0; c < n_kv; ++c) {
      row[c] = has_seq(c, seq_ids[t]) && pos(c) <= positions[t] ? 0.0f : kBlocked;
    }
  }
}

}  // namespace corral
