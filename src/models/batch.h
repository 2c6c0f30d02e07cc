// Batch: the tokens of one forward pass, possibly from several sequences. Each token has its
// id, position in its sequence, sequence id (a KV cache slot) and whether its logits are wanted.
// Model::forward binds the arrays as graph inputs without copying, so a Batch must stay alive
// and unchanged until the graph is computed. Depends on util/ only.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace corral {

class Batch {
 public:
  Batch() = default;

  void add(int32_t token, int32_t position, int32_t seq_id, bool output);
  // Tokens of one sequence at positions start_pos, start_pos + 1, ...; logits for every token
  // (all_outputs) or the last one only.
  void add_sequence(std::span<const int32_t> tokens, int32_t start_pos, int32_t seq_id, bool all_outputs);
  void clear();

  size_t size() const { return tokens_.size(); }
  bool empty() const { return tokens_.empty(); }
  std::span<const int32_t> tokens() const { return tokens_; }
  std::span<const int32_t> positions() const { return positions_; }
  std::span<const int32_t> seq_ids() const { return seq_ids_; }
  bool output(size_t i) const { return output_[i] != 0; }
  // Indices of the tokens whose logits forward() returns, in batch order.
  std::span<const int32_t> output_rows() const { return output_rows_; }

 private:
  std::vector<int32_t> tokens_;
  std::vector<int32_t> positions_;
  std::vector<int32_t> seq_ids_;
  std::vector<uint8_t> output_;
  std::vector<int32_t> output_rows_;
};

}  // namespace corral
