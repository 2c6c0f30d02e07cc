// Tokenizer metadata for conversion (see hf_vocab.h). Key names and token-type numbers are
// GGUF's (tokenizer.ggml.*); special-token resolution follows the order llama.cpp's converter
// documents: tokenizer_config.json's *_token looked up among tokenizer.json's added tokens,
// then config.json's *_token_id.
#include "convert/hf_vocab.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "convert/spm_model.h"
#include "tokenizer/pretokenize.h"
#include "util/file.h"

namespace corral::convert {
namespace {

using nlohmann::json;

constexpr int64_t kMaxVocab = int64_t{1} << 24;
constexpr const char* kSpecialTypes[] = {"bos", "eos", "unk", "sep", "pad"};

Result<json> read_json_file(const std::string& path, bool* present) {
  *present = path_exists(path);
  if (!*present) return json();
  CORRAL_ASSIGN_OR_RETURN(std::string text, read_file(path, size_t{1} << 30));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return corrupt("%s: not valid JSON", path.c_str());
  return j;
}

const json* member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::optional<std::string> token_content(const json* entry) {
  if (!entry) return std::nullopt;
  if (entry->is_string()) return entry->get<std::string>();
  if (const json* c = member(*entry, "content"); c && c->is_string()) return c->get<std::string>();
  return std::nullopt;
}

// The pre-tokenizer regexes of a tokenizer.json pre_tokenizer (Split patterns in order; a
// Digits(individual) step as \p{N}; a regex-using ByteLevel as the GPT-2 pattern marker "").
void collect_pretokenizer(const json& pre, std::vector<std::string>* patterns, bool* byte_level_regex) {
  const json* type = member(pre, "type");
  if (!type || !type->is_string()) return;
  const std::string t = type->get<std::string>();
  if (t == "Sequence") {
    if (const json* list = member(pre, "pretokenizers"); list && list->is_array()) {
      for (const json& p : *list) collect_pretokenizer(p, patterns, byte_level_regex);
    }
  } else if (t == "Split") {
    const json* pattern = member(pre, "pattern");
    const json* regex = pattern ? member(*pattern, "Regex") : nullptr;
    if (regex && regex->is_string()) patterns->push_back(regex->get<std::string>());
  } else if (t == "Digits") {
    const json* individual = member(pre, "individual_digits");
    patterns->push_back(individual && individual->is_boolean() && individual->get<bool>() ? "\\p{N}" : "\\p{N}+");
  } else if (t == "ByteLevel") {
    const json* use_regex = member(pre, "use_regex");
    if (!use_regex || !use_regex->is_boolean() || use_regex->get<bool>()) *byte_level_regex = true;
  }
}

std::string detect_pre(const json& tokenizer, std::vector<std::string>* warnings) {
  std::vector<std::string> patterns;
  bool byte_level_regex = false;
  if (const json* pre = member(tokenizer, "pre_tokenizer")) collect_pretokenizer(*pre, &patterns, &byte_level_regex);
  if (patterns.empty() && byte_level_regex) return "gpt-2";
  const PreTokenizerPreset* gpt2 = find_pretokenizer_preset("gpt-2");
  if (byte_level_regex && gpt2 && !gpt2->patterns.empty()) patterns.emplace_back(gpt2->patterns[0]);
  for (std::string_view name : pretokenizer_preset_names()) {
    const PreTokenizerPreset* p = find_pretokenizer_preset(name);
    if (!p || p->patterns.size() != patterns.size()) continue;
    if (std::equal(patterns.begin(), patterns.end(), p->patterns.begin())) return std::string(name);
  }
  warnings->push_back("the pre-tokenizer of tokenizer.json matches no known preset; tokenizer.ggml.pre is 'default'");
  return "default";
}

std::string merge_string(const json& m) {
  if (m.is_string()) return m.get<std::string>();
  // ["a", "b"]: spaces inside a part are written as U+0120 so the pair stays splittable on ' '.
  std::string out;
  for (size_t k = 0; k < 2; ++k) {
    if (k) out += ' ';
    for (char c : m[k].get<std::string>()) {
      if (c == ' ') out += "\xC4\xA0"; else out += c;
    }
  }
  return out;
}

bool valid_merge(const json& m) {
  return m.is_string() || (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string());
}

struct AddedToken {
  int64_t id;
  std::string content;
  bool special;
};

Result<std::vector<AddedToken>> added_tokens_of(const json& tokenizer) {
  std::vector<AddedToken> out;
  const json* list = member(tokenizer, "added_tokens");
  if (!list) return out;
  if (!list->is_array()) return corrupt("tokenizer.json: 'added_tokens' must be an array");
  for (const json& a : *list) {
    const json* id = member(a, "id");
    const json* content = member(a, "content");
    if (!id || !id->is_number_integer() || !content || !content->is_string()) {
      return corrupt("tokenizer.json: an added token needs an integer 'id' and a string 'content'");
    }
    const int64_t i = id->get<int64_t>();
    if (i < 0 || i >= kMaxVocab) return corrupt("tokenizer.json: added token id %lld out of range", static_cast<long long>(i));
    const json* special = member(a, "special");
    out.push_back({i, content->get<std::string>(), special && special->is_boolean() && special->get<bool>()});
  }
  return out;
}

Status place_token(HfVocab* v, int64_t id, std::string text, int32_t type, float score, const char* what) {
  // Ids beyond config.json's vocab_size (when known) are refused before anything is allocated.
  if (id < 0 || id >= v->id_limit) {
    return corrupt("%s: token id %lld out of range (vocab_size %lld)", what, static_cast<long long>(id),
                   static_cast<long long>(v->id_limit));
  }
  const auto n = static_cast<size_t>(id) + 1;
  if (v->tokens.size() < n) {
    v->tokens.resize(n);
    v->types.resize(n, 0);
    if (!v->scores.empty() || v->model == "llama") v->scores.resize(n, 0.0f);
  }
  v->tokens[static_cast<size_t>(id)] = std::move(text);
  v->types[static_cast<size_t>(id)] = type;
  if (!v->scores.empty()) v->scores[static_cast<size_t>(id)] = score;
  return ok_status();
}

Status read_bpe(const json& tokenizer, const std::vector<AddedToken>& added, HfVocab* v) {
  const json* model = member(tokenizer, "model");
  const json* vocab = model ? member(*model, "vocab") : nullptr;
  if (!vocab || !vocab->is_object()) return corrupt("tokenizer.json: model.vocab must be an object");
  v->model = "gpt2";
  v->pre = detect_pre(tokenizer, &v->warnings);
  for (auto it = vocab->begin(); it != vocab->end(); ++it) {
    if (!it->is_number_integer()) return corrupt("tokenizer.json: vocab id of '%s' is not an integer", it.key().c_str());
    CORRAL_TRY(place_token(v, it->get<int64_t>(), it.key(), static_cast<int32_t>(TokenType::kNormal), 0.0f, "tokenizer.json"));
  }
  for (const AddedToken& a : added) {
    const auto type = a.special ? TokenType::kControl : TokenType::kUserDefined;
    CORRAL_TRY(place_token(v, a.id, a.content, static_cast<int32_t>(type), 0.0f, "tokenizer.json"));
  }
  if (const json* merges = member(*model, "merges")) {
    if (!merges->is_array()) return corrupt("tokenizer.json: model.merges must be an array");
    v->merges.reserve(merges->size());
    for (const json& m : *merges) {
      if (!valid_merge(m)) return corrupt("tokenizer.json: a merge must be \"a b\" or [\"a\", \"b\"]");
      v->merges.push_back(merge_string(m));
    }
  }
  return ok_status();
}

Status read_spm(const std::string& path, const std::vector<AddedToken>& added, HfVocab* v) {
  CORRAL_ASSIGN_OR_RETURN(MappedFile file, MappedFile::open(path));
  CORRAL_ASSIGN_OR_RETURN(SpmModel spm, parse_spm_model(file.bytes()));
  v->model = "llama";
  v->pre = "default";
  v->scores.reserve(spm.pieces.size());
  for (size_t i = 0; i < spm.pieces.size(); ++i) {
    v->tokens.push_back(spm.pieces[i].piece);
    v->scores.push_back(spm.pieces[i].score);
    v->types.push_back(static_cast<int32_t>(spm.pieces[i].type));
  }
  for (const AddedToken& a : added) {
    if (a.id < static_cast<int64_t>(spm.pieces.size())) continue;  // already a piece
    const auto type = a.special ? TokenType::kControl : TokenType::kUserDefined;
    CORRAL_TRY(place_token(v, a.id, a.content, static_cast<int32_t>(type), -1000.0f, "tokenizer.json"));
  }
  return ok_status();
}

void set_special_id(HfVocab* v, const std::string& typ, int64_t id) {
  if (id < 0 || id >= static_cast<int64_t>(v->tokens.size())) return;
  std::optional<int64_t>* slot = typ == "bos" ? &v->bos_id : typ == "eos" ? &v->eos_id
                                 : typ == "unk" ? &v->unk_id : typ == "pad" ? &v->pad_id : nullptr;
  if (slot && !slot->has_value()) *slot = id;
}

void read_post_processor(const json& tokenizer, const json& tok_config, HfVocab* v) {
  const json* post = member(tokenizer, "post_processor");
  if (!post) return;
  std::vector<const json*> procs;
  if (const json* list = member(*post, "processors"); list && list->is_array()) {
    for (const json& p : *list) procs.push_back(&p);
  } else {
    procs.push_back(post);
  }
  const auto bos = token_content(member(tok_config, "bos_token"));
  const auto eos = token_content(member(tok_config, "eos_token"));
  for (const json* p : procs) {
    const json* type = member(*p, "type");
    if (!type || !type->is_string() || type->get<std::string>() != "TemplateProcessing") continue;
    const json* single = member(*p, "single");
    if (!single || !single->is_array() || single->size() < 2) continue;
    auto special_id = [](const json& item) -> std::optional<std::string> {
      const json* st = member(item, "SpecialToken");
      const json* id = st ? member(*st, "id") : nullptr;
      if (id && id->is_string()) return id->get<std::string>();
      return std::nullopt;
    };
    const auto first = special_id(single->front());
    const auto last = special_id(single->back());
    if (first) v->add_bos = bos && *first == *bos;
    if (last) v->add_eos = eos && *last == *eos;
    // The pair template "A [sep] B" (after the single template's leading/trailing specials)
    // says whether a separator is added.
    const json* pair = member(*p, "pair");
    if (!pair || !pair->is_array() || pair->empty()) continue;
    size_t begin = first && special_id(pair->front()) == first ? 1 : 0;
    size_t end = last && special_id(pair->back()) == last ? pair->size() - 1 : pair->size();
    if (end <= begin + 2) continue;
    auto sequence_id = [](const json& item) -> std::string {
      const json* seq = member(item, "Sequence");
      const json* id = seq ? member(*seq, "id") : nullptr;
      return id && id->is_string() ? id->get<std::string>() : "";
    };
    if (sequence_id((*pair)[begin]) != "A" || sequence_id((*pair)[end - 1]) != "B") continue;
    const auto sep = token_content(member(tok_config, "sep_token"));
    auto is_sep = [&](const std::optional<std::string>& id) { return id && ((sep && *id == *sep) || (eos && *id == *eos)); };
    bool add_sep = is_sep(special_id((*pair)[begin + 1])) && !last;
    if (end - begin == 4 && is_sep(special_id((*pair)[begin + 2]))) add_sep = true;
    v->add_sep = add_sep;
  }
}

std::optional<std::string> chat_template_of(const std::string& dir, const json& tok_config) {
  const json* ct = member(tok_config, "chat_template");
  if (ct && ct->is_string()) return ct->get<std::string>();
  if (ct && ct->is_array()) {
    for (const json& t : *ct) {
      const json* name = member(t, "name");
      const json* text = member(t, "template");
      if (name && name->is_string() && name->get<std::string>() == "default" && text && text->is_string()) {
        return text->get<std::string>();
      }
    }
  }
  if (auto text = read_file(dir + "/chat_template.jinja", size_t{16} << 20); text.ok()) return *text;
  return std::nullopt;
}

}  // namespace

void HfVocab::write(GgufWriter* w) const {
  w->set("tokenizer.ggml.model", GgufValue::from_string(model));
  w->set("tokenizer.ggml.pre", GgufValue::from_string(pre));
  GgufArray toks{GgufType::kString};
  toks.strings = tokens;
  w->set("tokenizer.ggml.tokens", GgufValue::from_array(std::move(toks)));
  if (!scores.empty()) {
    GgufArray s{GgufType::kF32};
    s.floats.assign(scores.begin(), scores.end());
    w->set("tokenizer.ggml.scores", GgufValue::from_array(std::move(s)));
  }
  GgufArray t{GgufType::kI32};
  t.ints.assign(types.begin(), types.end());
  w->set("tokenizer.ggml.token_type", GgufValue::from_array(std::move(t)));
  if (!merges.empty()) {
    GgufArray m{GgufType::kString};
    m.strings = merges;
    w->set("tokenizer.ggml.merges", GgufValue::from_array(std::move(m)));
  }
  auto put_id = [&](const char* key, const std::optional<int64_t>& id) {
    if (id) w->set(key, GgufValue::from_u32(static_cast<uint32_t>(*id)));
  };
  put_id("tokenizer.ggml.bos_token_id", bos_id);
  put_id("tokenizer.ggml.eos_token_id", eos_id);
  put_id("tokenizer.ggml.unknown_token_id", unk_id);
  put_id("tokenizer.ggml.padding_token_id", pad_id);
  if (add_bos) w->set("tokenizer.ggml.add_bos_token", GgufValue::from_bool(*add_bos));
  if (add_eos) w->set("tokenizer.ggml.add_eos_token", GgufValue::from_bool(*add_eos));
  if (add_sep) w->set("tokenizer.ggml.add_sep_token", GgufValue::from_bool(*add_sep));
  if (add_space_prefix) w->set("tokenizer.ggml.add_space_prefix", GgufValue::from_bool(*add_space_prefix));
  if (chat_template) w->set("tokenizer.chat_template", GgufValue::from_string(*chat_template));
}

Result<HfVocab> read_hf_vocab(const std::string& dir, int64_t vocab_size) {
  bool has_tokenizer = false, has_config = false, has_model_config = false;
  CORRAL_ASSIGN_OR_RETURN(json tokenizer, read_json_file(dir + "/tokenizer.json", &has_tokenizer));
  CORRAL_ASSIGN_OR_RETURN(json tok_config, read_json_file(dir + "/tokenizer_config.json", &has_config));
  CORRAL_ASSIGN_OR_RETURN(json config, read_json_file(dir + "/config.json", &has_model_config));
  const std::string spm_path = dir + "/tokenizer.model";
  std::vector<AddedToken> added;
  if (has_tokenizer) {
    CORRAL_ASSIGN_OR_RETURN(added, added_tokens_of(tokenizer));
  }
  if (vocab_size > kMaxVocab) return invalid_argument("config.json: vocab_size %lld too large", static_cast<long long>(vocab_size));
  HfVocab v;
  v.id_limit = vocab_size > 0 ? vocab_size : kMaxVocab;
  const json* model = member(tokenizer, "model");
  const json* model_type = model ? member(*model, "type") : nullptr;
  const bool bpe = model_type && model_type->is_string() && model_type->get<std::string>() == "BPE";
  const json* byte_fallback = model ? member(*model, "byte_fallback") : nullptr;
  const bool spm_like = byte_fallback && byte_fallback->is_boolean() && byte_fallback->get<bool>();
  if (path_exists(spm_path)) {
    CORRAL_TRY(read_spm(spm_path, added, &v).with_context(spm_path));
  } else if (bpe && !spm_like) {
    CORRAL_TRY(read_bpe(tokenizer, added, &v).with_context(dir + "/tokenizer.json"));
  } else if (has_tokenizer) {
    return unsupported("%s/tokenizer.json: only byte-level BPE tokenizers are supported without a tokenizer.model",
                       dir.c_str());
  } else {
    return not_found("%s: no tokenizer.json or tokenizer.model", dir.c_str());
  }
  for (int64_t i = 0; i < static_cast<int64_t>(v.tokens.size()); ++i) {
    if (v.types[static_cast<size_t>(i)] == 0) {  // a hole in the id space
      v.tokens[static_cast<size_t>(i)] = "[PAD" + std::to_string(i) + "]";
      v.types[static_cast<size_t>(i)] = static_cast<int32_t>(TokenType::kUnused);
    }
  }
  for (int64_t i = static_cast<int64_t>(v.tokens.size()); i < vocab_size; ++i) {
    v.tokens.push_back("[PAD" + std::to_string(i) + "]");
    v.types.push_back(static_cast<int32_t>(TokenType::kUnused));
    if (!v.scores.empty()) v.scores.push_back(-10000.0f);  // llama.cpp's score for padding pieces
  }
  if (vocab_size > 0 && static_cast<int64_t>(v.tokens.size()) > vocab_size) {
    return invalid_argument("%s: the tokenizer has %zu tokens, more than config.json's vocab_size %lld", dir.c_str(),
                            v.tokens.size(), static_cast<long long>(vocab_size));
  }
  // Special tokens: tokenizer_config.json first, then config.json's ids.
  if (has_tokenizer) read_post_processor(tokenizer, tok_config, &v);
  for (const char* typ : kSpecialTypes) {
    const std::string t = typ;
    if (const json* add = member(tok_config, ("add_" + t + "_token").c_str()); add && add->is_boolean()) {
      if (t == "bos") v.add_bos = add->get<bool>();
      if (t == "eos") v.add_eos = add->get<bool>();
    }
    if (auto content = token_content(member(tok_config, (t + "_token").c_str()))) {
      for (const AddedToken& a : added) {
        if (a.content == *content) {
          set_special_id(&v, t, a.id);
          break;
        }
      }
    }
  }
  for (const char* typ : kSpecialTypes) {
    const json* id = member(config, (std::string(typ) + "_token_id").c_str());
    if (id && id->is_number_integer()) set_special_id(&v, typ, id->get<int64_t>());
  }
  v.chat_template = chat_template_of(dir, tok_config);
  return v;
}

}  // namespace corral::convert
