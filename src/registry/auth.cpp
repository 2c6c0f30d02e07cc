#include "registry/auth.h"

#include <cctype>

#include "registry/http.h"
#include "util/file.h"

namespace corral::registry {
namespace {

bool is_tchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
bool is_token68_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-._~+/").find(c) != std::string_view::npos;
}
std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  size_t pos() const { return i_; }
  void seek(size_t p) { i_ = p; }
  void advance() { ++i_; }
  std::string_view token() {
    size_t start = i_;
    while (i_ < s_.size() && is_tchar(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  std::string_view token68() {
    size_t start = i_;
    while (i_ < s_.size() && is_token68_char(s_[i_])) ++i_;
    while (i_ < s_.size() && s_[i_] == '=') ++i_;
    return s_.substr(start, i_ - start);
  }
  Result<std::string> quoted() {  // at the opening quote
    ++i_;
    std::string out;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (i_ >= s_.size()) break;
        c = s_[i_++];
      }
      out += c;
    }
    return invalid_argument("WWW-Authenticate: unterminated quoted string");
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::string AuthChallenge::param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

Result<std::vector<AuthChallenge>> parse_www_authenticate(std::string_view header) {
  if (header.size() > 16384) return invalid_argument("WWW-Authenticate: longer than 16384 bytes");
  std::vector<AuthChallenge> out;
  Scanner sc(header);
  auto skip_commas = [&] {
    sc.skip_ws();
    while (sc.peek() == ',') {
      sc.advance();
      sc.skip_ws();
    }
  };
  // True when a "name =" follows at the current position (the position is kept).
  auto param_follows = [&] {
    size_t at = sc.pos();
    bool yes = !sc.token().empty();
    sc.skip_ws();
    yes = yes && sc.peek() == '=';
    sc.seek(at);
    return yes;
  };
  for (;;) {
    skip_commas();
    if (sc.done()) break;
    std::string_view scheme = sc.token();
    if (scheme.empty()) return invalid_argument("WWW-Authenticate: expected an auth scheme at offset %zu", sc.pos());
    AuthChallenge ch;
    ch.scheme = lower(scheme);
    sc.skip_ws();
    if (!sc.done() && sc.peek() != ',' && !param_follows()) {
      size_t at = sc.pos();
      std::string_view t68 = sc.token68();
      sc.skip_ws();
      if (t68.empty() || !(sc.done() || sc.peek() == ',')) {
        return invalid_argument("WWW-Authenticate: expected name=value or a token at offset %zu", at);
      }
      ch.token68 = std::string(t68);
    } else if (!sc.done() && sc.peek() != ',') {
      for (;;) {
        std::string_view name = sc.token();
        sc.skip_ws();
        sc.advance();  // '=' (param_follows checked it)
        sc.skip_ws();
        std::string value;
        if (sc.peek() == '"') {
          CORRAL_ASSIGN_OR_RETURN(value, sc.quoted());
        } else {
          std::string_view v = sc.token();
          if (v.empty()) {
            return invalid_argument("WWW-Authenticate: parameter '%.*s' has no value", (int)name.size(), name.data());
          }
          value = std::string(v);
        }
        std::string key = lower(name);
        if (ch.params.count(key) != 0) {
          return invalid_argument("WWW-Authenticate: parameter '%s' given twice", key.c_str());
        }
        ch.params[std::move(key)] = std::move(value);
        sc.skip_ws();
        if (sc.done()) break;
        if (sc.peek() != ',') return invalid_argument("WWW-Authenticate: expected ',' at offset %zu", sc.pos());
        size_t before_comma = sc.pos();
        skip_commas();
        if (sc.done()) break;
        if (!param_follows()) {  // the next challenge begins
          sc.seek(before_comma);
          break;
        }
      }
    }
    out.push_back(std::move(ch));
  }
  if (out.empty()) return invalid_argument("WWW-Authenticate: no challenge");
  return out;
}

Result<Credentials> parse_credentials(std::string_view text, std::string_view what) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return invalid_argument("%.*s: credentials must be 'user:password'", (int)what.size(), what.data());
  }
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20) {
      return invalid_argument("%.*s: credentials contain a control character", (int)what.size(), what.data());
    }
  }
  return Credentials{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

Result<std::optional<Credentials>> load_credentials(const std::string& env_value, const std::string& file_path,
                                                    std::string_view host) {
  if (!env_value.empty()) {
    CORRAL_ASSIGN_OR_RETURN(Credentials c, parse_credentials(env_value, "CORRAL_REGISTRY_AUTH"));
    return std::optional<Credentials>(std::move(c));
  }
  if (file_path.empty()) return std::optional<Credentials>();
  CORRAL_ASSIGN_OR_RETURN(std::string text, read_file(file_path, 1 << 20));
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const std::string what = file_path + ":" + std::to_string(line_no);
    size_t space = line.find_first_of(" \t");
    if (space == std::string_view::npos) {
      CORRAL_ASSIGN_OR_RETURN(Credentials c, parse_credentials(line, what));
      return std::optional<Credentials>(std::move(c));
    }
    std::string_view line_host = line.substr(0, space);
    std::string_view rest = line.substr(space + 1);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    if (lower(line_host) == lower(host)) {
      CORRAL_ASSIGN_OR_RETURN(Credentials c, parse_credentials(rest, what));
      return std::optional<Credentials>(std::move(c));
    }
  }
  return std::optional<Credentials>();
}

std::string basic_authorization(const Credentials& c) { return "Basic " + base64_encode(c.user + ":" + c.password); }

}  // namespace corral::registry
