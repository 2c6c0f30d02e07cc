#include "models/batch.h"

namespace corral {

void Batch::add(int32_t token, int32_t position, int32_t seq_id, bool output) {
  if (output) output_rows_.push_back(static_cast<int32_t>(tokens_.size()));
  tokens_.push_back(token);
  positions_.push_back(position);
  seq_ids_.push_back(seq_id);
  output_.push_back(output ? 1 : 0);
}

void Batch::add_sequence(std::span<const int32_t> tokens, int32_t start_pos, int32_t seq_id, bool all_outputs) {
  for (size_t i = 0; i < tokens.size(); ++i) {
    add(tokens[i], start_pos + static_cast<int32_t>(i), seq_id, all_outputs || i + 1 == tokens.size());
  }
}

void Batch::clear() {
  tokens_.clear();
  positions_.clear();
  seq_ids_.clear();
  output_.clear();
  output_rows_.clear();
}

}  // namespace corral
