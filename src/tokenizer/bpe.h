// Byte-level BPE (tokenizer.ggml.model = "gpt2"): pre-tokenizer regexes cut the text into words,
// each word's bytes are mapped to GPT-2's printable code points and merged by merge rank
// (lowest first, leftmost on ties). Words seen before come from a bounded cache.
// Depends on util only (through tokenizer.h).
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizer/pretokenize.h"
#include "tokenizer/tokenizer.h"

namespace corral {

class BpeTokenizer final : public Tokenizer {
 public:
  // Fails for an unknown `pre` name; a missing one uses the "default" preset (warning on logger).
  static Result<std::unique_ptr<BpeTokenizer>> create(Vocabulary vocab, Logger* logger);

  // Merges of the vocabulary that could not be used (a part or the result is not a token).
  size_t skipped_merges() const { return skipped_merges_; }
  const PreTokenizerPreset& preset() const { return *preset_; }

 protected:
  void encode_text(std::string_view text, bool starts_segment,
                   std::vector<int32_t>* out) const override;
  void append_normal_piece(int32_t id, std::string* out) const override;

 private:
  explicit BpeTokenizer(Vocabulary vocab);
  void build_merges();
  void encode_word(std::string_view word, std::vector<int32_t>* out) const;
  void merge_word(std::string_view word, std::vector<int32_t>* out) const;

  struct Merge {
    int32_t rank;
    int32_t result;
  };
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }

  const PreTokenizerPreset* preset_ = nullptr;
  PreTokenizer pre_;
  std::array<int32_t, 256> byte_token_{};        // token of each byte's mapped character
  std::array<std::string, 256> byte_chars_{};    // UTF-8 of each byte's mapped character
  std::unordered_map<uint64_t, Merge> merges_;
  size_t skipped_merges_ = 0;

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  static constexpr size_t kCacheLimit = 1 << 16;
  static constexpr size_t kCacheWordBytes = 64;
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> cache_;
};

}  // namespace corral
