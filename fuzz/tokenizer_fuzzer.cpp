// libFuzzer target for the tokenizers. Input starting with "GGUF": parsed as a GGUF and, when it
// holds a tokenizer, built into one and exercised (malformed vocabularies must give a Status,
// never a crash). Any other input is text: encoded by real vocabularies of the shared test data
// (byte-level BPE, SentencePiece, WordPiece), with and without special-token parsing; lossless
// vocabularies must round-trip it exactly, and the streaming detokenizer must emit valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "formats/gguf.h"
#include "tokenizer/detokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace {

struct Loaded {
  std::unique_ptr<corral::Tokenizer> tok;
  bool lossless;  // every byte is covered: decode(encode(x)) == x for any bytes
};

std::vector<Loaded> load_vocabs() {
  std::vector<Loaded> out;
  for (const char* name : {"gpt-2", "qwen2", "llama-spm", "bert-bge", "deepseek-llm"}) {
    const std::string path = std::string(CORRAL_TESTDATA_DIR) + "/tokenizers/ggml-vocab-" + name + ".gguf";
    auto file = corral::GgufFile::open(path);
    if (!file.ok()) continue;
    auto tok = corral::make_tokenizer(*file);
    if (!tok.ok()) std::abort();  // the shared vocabularies are valid
    const std::string n = name;
    out.push_back({std::move(tok).value(), n == "gpt-2" || n == "qwen2"});
  }
  return out;
}

bool valid_utf8(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    uint32_t cp = 0;
    const size_t n = corral::unicode::decode_utf8(s, pos, &cp);
    if (n == 0) return false;
    pos += n;
  }
  return true;
}

void exercise(const corral::Tokenizer& tok, std::string_view text, bool lossless) {
  for (bool parse_special : {false, true}) {
    const std::vector<int32_t> ids = tok.encode(text, true, parse_special);
    for (int32_t id : ids) {
      if (id < 0 || id >= tok.vocab_size()) std::abort();
    }
    const std::string back = tok.decode(ids);
    if (lossless && !parse_special && tok.decode(tok.encode(text, false, false)) != text) std::abort();
    corral::Detokenizer detok(tok);
    std::string streamed;
    for (int32_t id : ids) {
      const std::string chunk = detok.push(id);
      if (!valid_utf8(chunk)) std::abort();
      streamed += chunk;
    }
    const std::string rest = detok.flush();
    if (!valid_utf8(rest)) std::abort();
    if (valid_utf8(back) && streamed + rest != back) std::abort();
    (void)tok.is_eog(ids.empty() ? 0 : ids.back());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.substr(0, 4) == "GGUF") {
    auto file = corral::GgufFile::parse({reinterpret_cast<const std::byte*>(data), size});
    if (!file.ok()) return 0;
    auto tok = corral::make_tokenizer(*file);
    if (!tok.ok()) return 0;
    exercise(**tok, "Hello world! <s> [CLS] \xE6\x88\x91 \xF0\x9F\xA6\x99 \xFF", false);
    std::vector<int32_t> ids;
    for (int32_t i = -2; i < 300; ++i) ids.push_back(i);
    (void)(*tok)->decode(ids, true);
    return 0;
  }
  static const std::vector<Loaded> vocabs = load_vocabs();
  for (const Loaded& v : vocabs) exercise(*v.tok, input, v.lossless);
  return 0;
}
