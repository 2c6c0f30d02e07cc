#include "store/modelfile.h"

#include <sys/stat.h>

#include "store/modelfile_params.h"
#include "util/file.h"

namespace corral::store {

namespace {

constexpr size_t kMaxModelfileBytes = 16 << 20;

struct InstructionName {
  std::string_view name;
  Instruction instruction;
};
constexpr InstructionName kInstructions[] = {
    {"FROM", Instruction::kFrom},         {"PARAMETER", Instruction::kParameter},
    {"TEMPLATE", Instruction::kTemplate}, {"SYSTEM", Instruction::kSystem},
    {"ADAPTER", Instruction::kAdapter},   {"LICENSE", Instruction::kLicense},
    {"MESSAGE", Instruction::kMessage},
};

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_eol(char c) { return c == '\n' || c == '\r'; }

std::optional<Instruction> lookup(std::string_view word) {
  for (const auto& [name, ins] : kInstructions) {
    if (name.size() != word.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) same = upper(word[i]) == name[i];
    if (same) return ins;
  }
  return std::nullopt;
}

// Error text must stay printable: untrusted words are cut and control bytes replaced.
std::string shown(std::string_view s) {
  std::string out(s.substr(0, 40));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return s.size() > 40 ? out + "..." : out;
}

// Returns the 1-based line of the first invalid UTF-8 sequence or NUL byte, 0 if none.
int find_bad_byte(std::string_view t, const char** what) {
  int line = 1;
  size_t i = 0;
  while (i < t.size()) {
    unsigned char c = static_cast<unsigned char>(t[i]);
    if (c == '\n') ++line;
    if (c == 0) {
      *what = "NUL byte";
      return line;
    }
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    uint32_t cp = len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
    bool ok = len != 0 && i + len <= t.size();
    for (size_t k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(t[i + k]);
      ok = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    // No overlong forms, surrogates or values past U+10FFFF.
    if (ok) {
      ok = !(len == 2 && cp < 0x80) && !(len == 3 && cp < 0x800) && !(len == 4 && cp < 0x10000) &&
           !(cp >= 0xD800 && cp <= 0xDFFF) && cp <= 0x10FFFF;
    }
    if (!ok) {
      *what = "invalid UTF-8";
      return line;
    }
    i += len;
  }
  return 0;
}

std::string normalize_newlines(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    out.push_back(s[i]);
  }
  return out;
}

class Parser {
 public:
  Parser(std::string_view text, const ModelfileOptions& options) : t_(text), opt_(options) {}

  Result<Modelfile> run();

 private:
  Status error(int line, const Status& why) const {
    if (line <= 0) return invalid_argument("%s: %s", opt_.source_name.c_str(), why.message().c_str());
    return invalid_argument("%s:%d: %s", opt_.source_name.c_str(), line, why.message().c_str());
  }
  Status error(int line, const std::string& why) const { return error(line, invalid_argument("%s", why.c_str())); }

  bool at_end() const { return pos_ >= t_.size(); }
  void skip_blanks() {
    while (!at_end() && is_blank(t_[pos_])) ++pos_;
  }
  void skip_line() {
    while (!at_end() && t_[pos_] != '\n') ++pos_;
    if (!at_end()) {
      ++pos_;
      ++line_;
    }
  }
  // A run of non-blank, non-newline characters.
  std::string_view word() {
    size_t start = pos_;
    while (!at_end() && !is_blank(t_[pos_]) && !is_eol(t_[pos_])) ++pos_;
    return t_.substr(start, pos_ - start);
  }
  Result<std::string> value(int line, std::string_view what);
  Status apply(Modelfile& mf, ModelfileCommand cmd);

  std::string_view t_;
  const ModelfileOptions& opt_;
  size_t pos_ = 0;
  int line_ = 1;
  int from_line_ = 0;
};

// Reads the value that starts at pos_ (leading blanks already skipped) and moves past its line.
Result<std::string> Parser::value(int line, std::string_view what) {
  auto rest_of_line_blank = [&](size_t p) {
    while (p < t_.size() && is_blank(t_[p])) ++p;
    return p >= t_.size() || is_eol(t_[p]);
  };
  auto count_lines = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) line_ += t_[i] == '\n';
  };
  std::string out;
  if (t_.substr(pos_, 3) == "\"\"\"") {
    size_t close = t_.find("\"\"\"", pos_ + 3);
    if (close == std::string_view::npos) {
      return error(line, "unterminated \"\"\" in " + std::string(what) + " (no closing \"\"\")");
    }
    out = normalize_newlines(t_.substr(pos_ + 3, close - pos_ - 3));
    if (!rest_of_line_blank(close + 3)) {
      count_lines(pos_, close);
      return error(line_, "unexpected text after the closing \"\"\" of " + std::string(what));
    }
    count_lines(pos_, close);
    pos_ = close + 3;
  } else if (pos_ < t_.size() && t_[pos_] == '"') {
    // Ends at the first '"' followed only by blanks up to the end of its line.
    size_t close = pos_ + 1;
    for (;; ++close) {
      close = t_.find('"', close);
      if (close == std::string_view::npos) {
        return error(line, "unterminated quote in " + std::string(what));
      }
      if (rest_of_line_blank(close + 1)) break;
    }
    out = normalize_newlines(t_.substr(pos_ + 1, close - pos_ - 1));
    count_lines(pos_, close);
    pos_ = close + 1;
  } else {
    size_t end = pos_;
    while (end < t_.size() && t_[end] != '\n') ++end;
    std::string_view v = t_.substr(pos_, end - pos_);
    while (!v.empty() && (is_blank(v.back()) || v.back() == '\r')) v.remove_suffix(1);
    if (v.empty()) return error(line, std::string(what) + " needs a value");
    out = std::string(v);
    pos_ = end;
  }
  skip_line();
  return out;
}

Status Parser::apply(Modelfile& mf, ModelfileCommand cmd) {
  const int line = cmd.line;
  switch (cmd.instruction) {
    case Instruction::kFrom: {
      if (from_line_ != 0) return error(line, "second FROM (the first is on line " + std::to_string(from_line_) + ")");
      from_line_ = line;
      auto ref = classify_from(cmd.value, opt_);
      if (!ref.ok()) return error(line, ref.status());
      mf.from = std::move(ref).value();
      break;
    }
    case Instruction::kParameter: {
      Status st = add_modelfile_param(mf.params, cmd.name, cmd.value);
      if (!st.ok()) return error(line, st);
      break;
    }
    case Instruction::kTemplate: mf.template_text = cmd.value; break;
    case Instruction::kSystem: mf.system = cmd.value; break;
    case Instruction::kAdapter:
      if (cmd.value.empty()) return error(line, "ADAPTER needs a path");
      mf.adapters.push_back(cmd.value);
      break;
    case Instruction::kLicense: mf.licenses.push_back(cmd.value); break;
    case Instruction::kMessage: mf.messages.push_back({cmd.name, cmd.value}); break;
  }
  mf.commands.push_back(std::move(cmd));
  return ok_status();
}

Result<Modelfile> Parser::run() {
  if (t_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // UTF-8 byte order mark
  const char* what = nullptr;
  if (int bad = find_bad_byte(t_.substr(pos_), &what); bad != 0) return error(bad, what);
  Modelfile mf;
  while (!at_end()) {
    skip_blanks();
    if (at_end()) break;
    char c = t_[pos_];
    if (is_eol(c) || c == '#') {
      skip_line();
      continue;
    }
    const int line = line_;
    std::string_view w = word();
    auto ins = lookup(w);
    if (!ins) return error(line, "unknown instruction '" + shown(w) + "'");
    ModelfileCommand cmd{*ins, "", "", line};
    const std::string ins_name(instruction_name(*ins));
    skip_blanks();
    if (at_end() || is_eol(t_[pos_])) return error(line, ins_name + " needs a value");
    if (*ins == Instruction::kParameter) {
      std::string_view name = word();
      for (char ch : name) {
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
        if (!ok) return error(line, "invalid parameter name '" + shown(name) + "'");
      }
      if (find_modelfile_param(name) == nullptr) return error(line, "unknown parameter '" + shown(name) + "'");
      cmd.name = std::string(find_modelfile_param(name)->name);
      skip_blanks();
      if (at_end() || is_eol(t_[pos_])) return error(line, "PARAMETER " + cmd.name + " needs a value");
    } else if (*ins == Instruction::kMessage) {
      std::string_view role = word();
      std::string lower(role);
      for (char& ch : lower) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
      if (lower != "system" && lower != "user" && lower != "assistant") {
        return error(line, "MESSAGE role must be system, user or assistant, got '" + shown(role) + "'");
      }
      cmd.name = lower;
      skip_blanks();
      if (at_end() || is_eol(t_[pos_])) return error(line, "MESSAGE " + cmd.name + " needs content");
    }
    CORRAL_ASSIGN_OR_RETURN(cmd.value, value(line, ins_name));
    CORRAL_TRY(apply(mf, std::move(cmd)));
  }
  if (from_line_ == 0) return error(0, "no FROM instruction");
  return mf;
}

}  // namespace

std::string_view instruction_name(Instruction i) {
  for (const auto& [name, ins] : kInstructions) {
    if (ins == i) return name;
  }
  return "?";
}

nlohmann::json Modelfile::messages_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const ModelfileMessage& m : messages) out.push_back({{"role", m.role}, {"content", m.content}});
  return out;
}

Result<FromRef> classify_from(std::string_view value, const ModelfileOptions& options) {
  FromRef ref;
  ref.value = std::string(value);
  if (value.empty()) return invalid_argument("FROM needs a value");
  if (value.substr(0, 7) == "sha256:" || value.substr(0, 7) == "sha256-") {
    std::string text(value);
    text[6] = ':';
    auto d = Digest::parse(text);
    if (!d.ok()) return invalid_argument("FROM %s: %s", shown(value).c_str(), d.status().message().c_str());
    ref.kind = FromKind::kDigest;
    ref.digest = std::move(d).value();
    return ref;
  }
  const char c = value.front();
  if (c == '/' || c == '.' || c == '~') {
    ref.kind = FromKind::kPath;
    return ref;
  }
  if (options.probe_paths) {
    struct stat st {};
    std::string p = options.base_dir.empty() ? std::string(value) : options.base_dir + "/" + std::string(value);
    if (::stat(p.c_str(), &st) == 0) {
      ref.kind = FromKind::kPath;
      return ref;
    }
  }
  auto name = ModelName::parse(value, options.defaults);
  if (!name.ok()) {
    return invalid_argument("FROM '%s' is not a file and not a valid model name (%s)", shown(value).c_str(),
                            name.status().message().c_str());
  }
  ref.kind = FromKind::kModelName;
  ref.name = std::move(name).value();
  return ref;
}

Result<Modelfile> parse_modelfile(std::string_view text, const ModelfileOptions& options) {
  return Parser(text, options).run();
}

Result<Modelfile> parse_modelfile_file(const std::string& path, ModelfileOptions options) {
  CORRAL_ASSIGN_OR_RETURN(std::string text, read_file(path, kMaxModelfileBytes));
  if (options.source_name == "Modelfile") options.source_name = path;
  if (options.base_dir == ".") {
    size_t slash = path.find_last_of('/');
    options.base_dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  }
  return parse_modelfile(text, options);
}

}  // namespace corral::store
