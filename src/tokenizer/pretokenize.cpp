#include "tokenizer/pretokenize.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <utility>

#include "tokenizer/unicode.h"

namespace corral {
namespace {

// The published split patterns of each model family (facts from their tokenizer.json files),
// written with \x{...} escapes. tools/make_tokenizer_goldens.py holds the same patterns and
// produces the goldens the tests compare against.
constexpr std::string_view kGpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr std::string_view kGpt2NoTail =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";
constexpr std::string_view kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kQwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kO200k =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?)"
    R"(|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?)"
    R"(|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kTekken =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+)"
    R"(|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*)"
    R"(|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kSeedCoder =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kDeepseekLlmLetters =
    R"(\s?[A-Za-z\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF}\x{1C4}-\x{293})"
    R"(\x{295}-\x{2AF}\x{370}-\x{373}\x{376}\x{377}\x{37B}-\x{37D}\x{37F}\x{386}\x{388}-\x{38A})"
    R"(\x{38C}\x{38E}-\x{3A1}\x{3A3}-\x{3F5}\x{3F7}-\x{481}\x{48A}-\x{52F}\x{531}-\x{556})"
    R"(\x{10A0}-\x{10C5}\x{13A0}-\x{13F5}\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA}\x{1CBD}-\x{1CBF})"
    R"(\x{1D00}-\x{1D2B}\x{1D6B}-\x{1D77}\x{1D79}-\x{1D9A}\x{1E00}-\x{1F15}\x{1F18}-\x{1F1D})"
    R"(\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57}\x{1F59}\x{1F5B}\x{1F5D}\x{1F5F}-\x{1F7D})"
    R"(\x{1F80}-\x{1FB4}\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4}\x{1FC6}-\x{1FCC}\x{1FD0}-\x{1FD3})"
    R"(\x{1FD6}-\x{1FDB}\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4}\x{1FF6}-\x{1FFC}\x{2102}\x{2107})"
    R"(\x{210A}-\x{2113}\x{2115}\x{2119}-\x{211D}\x{2124}\x{2126}\x{2128}\x{212A}-\x{212D})"
    R"(\x{212F}-\x{2134}\x{2139}\x{213C}-\x{213F}\x{2145}-\x{2149}\x{214E}\x{2183}\x{2184})"
    R"(\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4}\x{2CEB}-\x{2CEE}\x{2CF2}\x{2CF3}\x{A640}-\x{A66D})"
    R"(\x{A680}-\x{A69B}\x{A722}-\x{A76F}\x{A771}-\x{A787}\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF})"
    R"(\x{FB00}-\x{FB06}\x{FB13}-\x{FB17}\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A}\x{10400}-\x{1044F})"
    R"(\x{104B0}-\x{104D3}\x{104D8}-\x{104FB}\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2})"
    R"(\x{118A0}-\x{118DF}\x{1E900}-\x{1E943}]+)";
constexpr std::string_view kCjkHangul = R"([\x{4E00}-\x{9FA5}\x{800}-\x{4E00}\x{AC00}-\x{D7FF}]+)";
constexpr std::string_view kBloom =
    R"( ?[^(\s|.,!?\x{2026}\x{3002}\x{FF0C}\x{3001}\x{964}\x{6D4}\x{60C})]+)";

const std::vector<PreTokenizerPreset>& presets() {
  static const std::vector<PreTokenizerPreset> table = {
      {"default", {R"([\p{P}\$\+<=>\^~\|]+)", kGpt2NoTail, R"(\p{N}+)", R"([0-9][0-9][0-9])"}},
      {"gpt-2", {kGpt2}},
      {"mpt", {kGpt2NoTail}},
      {"llama-bpe", {kLlama3}, true},
      {"qwen2", {kQwen2}},
      {"smollm", {R"(\p{N})", kGpt2NoTail}},
      {"falcon", {R"([\p{P}\$\+<=>\^~\|`]+)", kGpt2NoTail, R"([0-9][0-9][0-9])"}},
      {"deepseek-llm",
       {R"([\r\n])", kDeepseekLlmLetters,
        R"(\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)",
        R"(\s+$)", kCjkHangul, R"(\p{N}+)"}},
      {"deepseek-coder", {R"([\r\n])", R"(\s?\p{L}+)", R"(\s?\p{P}+)", kCjkHangul, R"(\p{N})"}},
      {"deepseek-v3",
       {R"(\p{N}{1,3})", R"([\x{4E00}-\x{9FA5}\x{3040}-\x{309F}\x{30A0}-\x{30FF}]+)",
        R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+)"
        R"(| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"}},
      {"gpt-4o", {kO200k}},
      {"tekken", {kTekken}, true},
      {"bloom", {kBloom}},
      {"viking", {kBloom, R"(\p{N})"}},
      {"seed-coder", {kSeedCoder}},
  };
  return table;
}

// Other `tokenizer.ggml.pre` names that use one of the presets above.
struct Alias {
  std::string_view name;
  std::string_view preset;
};
constexpr Alias kAliases[] = {
    {"phi-2", "gpt-2"},          {"jina-es", "gpt-2"},         {"jina-de", "gpt-2"},
    {"jina-v1-en", "gpt-2"},     {"jina-v2-es", "gpt-2"},      {"jina-v2-de", "gpt-2"},
    {"jina-v2-code", "gpt-2"},   {"roberta-bpe", "gpt-2"},     {"gigachat", "gpt-2"},
    {"mellum", "gpt-2"},         {"a.x-4.0", "gpt-2"},         {"olmo", "mpt"},
    {"jais", "mpt"},             {"trillion", "mpt"},          {"llama3", "llama-bpe"},
    {"llama-v3", "llama-bpe"},   {"falcon3", "llama-bpe"},     {"pixtral", "llama-bpe"},
    {"dbrx", "llama-bpe"},       {"smaug-bpe", "llama-bpe"},   {"chatglm-bpe", "llama-bpe"},
    {"midm-2.0", "llama-bpe"},   {"lfm2", "llama-bpe"},        {"deepseek-r1-qwen", "qwen2"},
    {"megrez", "qwen2"},         {"stablelm2", "qwen2"},       {"hunyuan", "qwen2"},
    {"grok-2", "qwen2"},         {"starcoder", "smollm"},      {"refact", "smollm"},
    {"command-r", "smollm"},     {"codeshell", "smollm"},      {"exaone", "smollm"},
    {"minerva-7b", "smollm"},    {"gpt4o", "gpt-4o"},          {"o200k", "gpt-4o"},
    {"llama4", "gpt-4o"},        {"poro-chat", "bloom"},       {"gpt3-finnish", "bloom"},
    {"hunyuan-dense", "deepseek-v3"},
};

}  // namespace

const PreTokenizerPreset* find_pretokenizer_preset(std::string_view pre) {
  for (const Alias& a : kAliases) {
    if (a.name == pre) {
      pre = a.preset;
      break;
    }
  }
  for (const PreTokenizerPreset& p : presets()) {
    if (p.name == pre) return &p;
  }
  return nullptr;
}

std::vector<std::string_view> pretokenizer_preset_names() {
  std::vector<std::string_view> names;
  for (const PreTokenizerPreset& p : presets()) names.push_back(p.name);
  return names;
}

struct PreTokenizer::Regex {
  pcre2_code* code = nullptr;
  ~Regex() { pcre2_code_free(code); }
};

PreTokenizer::PreTokenizer() = default;
PreTokenizer::~PreTokenizer() = default;
PreTokenizer::PreTokenizer(PreTokenizer&&) noexcept = default;
PreTokenizer& PreTokenizer::operator=(PreTokenizer&&) noexcept = default;

Result<PreTokenizer> PreTokenizer::create(const PreTokenizerPreset& preset) {
  return create(preset.patterns);
}

Result<PreTokenizer> PreTokenizer::create(const std::vector<std::string_view>& patterns) {
  PreTokenizer pre;
  for (std::string_view pattern : patterns) {
    int error = 0;
    PCRE2_SIZE offset = 0;
    auto regex = std::make_unique<Regex>();
    regex->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error, &offset,
                                nullptr);
    if (regex->code == nullptr) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(error, message, sizeof(message));
      return invalid_argument("pre-tokenizer pattern '%.*s': %s at offset %zu",
                              static_cast<int>(pattern.size()), pattern.data(),
                              reinterpret_cast<const char*>(message), static_cast<size_t>(offset));
    }
    // JIT is an optimisation: when it is unavailable the interpreter gives the same matches.
    (void)pcre2_jit_compile(regex->code, PCRE2_JIT_COMPLETE);
    pre.regexes_.push_back(std::move(regex));
  }
  return pre;
}

std::vector<std::string_view> PreTokenizer::split(std::string_view text) const {
  std::vector<std::string_view> words;
  split(text, &words);
  return words;
}

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>* words) const {
  if (text.empty()) return;
  if (regexes_.empty()) {
    words->push_back(text);
    return;
  }
  std::vector<std::string_view> current{text};
  std::vector<std::string_view> next;
  pcre2_match_data* md = nullptr;
  pcre2_match_context* mctx = pcre2_match_context_create(nullptr);
  pcre2_jit_stack* jit_stack = pcre2_jit_stack_create(32 * 1024, 4 * 1024 * 1024, nullptr);
  if (mctx != nullptr && jit_stack != nullptr) pcre2_jit_stack_assign(mctx, nullptr, jit_stack);
  for (size_t r = 0; r < regexes_.size(); ++r) {
    const pcre2_code* code = regexes_[r]->code;
    pcre2_match_data_free(md);
    md = pcre2_match_data_create_from_pattern(code, nullptr);
    std::vector<std::string_view>& out = (r + 1 == regexes_.size()) ? *words : next;
    for (std::string_view frag : current) {
      const auto* subject = reinterpret_cast<PCRE2_SPTR>(frag.data());
      size_t pos = 0;       // where the search continues
      size_t emitted = 0;   // end of what has been emitted
      while (md != nullptr && pos < frag.size()) {
        const int rc = pcre2_match(code, subject, frag.size(), pos, 0, md, mctx);
        if (rc < 0) break;  // no match (or a matching limit): the rest stays one piece
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
        const size_t start = ov[0], end = ov[1];
        if (end == start) {  // empty match: not a piece; move on by one character
          pos = start + unicode::char_length_at(frag, start);
          continue;
        }
        if (start > emitted) out.push_back(frag.substr(emitted, start - emitted));
        out.push_back(frag.substr(start, end - start));
        emitted = pos = end;
      }
      if (emitted < frag.size()) out.push_back(frag.substr(emitted));
    }
    if (r + 1 < regexes_.size()) {
      current.swap(next);
      next.clear();
    }
  }
  pcre2_match_data_free(md);
  pcre2_jit_stack_free(jit_stack);
  pcre2_match_context_free(mctx);
}

}  // namespace corral
