#include "store/model_name.h"

namespace corral::store {

namespace {

constexpr size_t kMaxNameText = 700;  // sum of the part limits plus separators and a digest

bool is_word(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

const char* part_name(NamePart p) {
  switch (p) {
    case NamePart::kHost: return "host";
    case NamePart::kNamespace: return "namespace";
    case NamePart::kModel: return "model";
    case NamePart::kTag: return "tag";
  }
  return "part";
}

// Quotes at most 80 characters of untrusted text for an error message.
std::string quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 80)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += "?";
    } else {
      out += c;
    }
  }
  if (s.size() > 80) out += "...";
  return out + "'";
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool equal_fold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

Status validate_name_part(NamePart part, std::string_view v) {
  const size_t max_len = part == NamePart::kHost ? 350 : 80;
  if (v.empty()) return invalid_argument("%s is empty", part_name(part));
  if (v.size() > max_len) {
    return invalid_argument("%s is %zu characters long, more than %zu", part_name(part), v.size(), max_len);
  }
  if (!is_word(v[0])) {
    return invalid_argument("%s %s must start with a letter, digit or '_'", part_name(part), quoted(v).c_str());
  }
  for (char c : v.substr(1)) {
    bool ok = is_word(c) || c == '-' || (c == '.' && part != NamePart::kNamespace) ||
              (c == ':' && part == NamePart::kHost);
    if (!ok) {
      const char* allowed = part == NamePart::kHost        ? "letters, digits, '_', '-', '.' and ':'"
                            : part == NamePart::kNamespace ? "letters, digits, '_' and '-'"
                                                           : "letters, digits, '_', '-' and '.'";
      return invalid_argument("%s %s may contain only %s", part_name(part), quoted(v).c_str(), allowed);
    }
  }
  if (v.find("..") != std::string_view::npos) {
    return invalid_argument("%s %s must not contain '..'", part_name(part), quoted(v).c_str());
  }
  return ok_status();
}

Result<ModelName> ModelName::from_parts(std::string_view host, std::string_view name_space,
                                        std::string_view model, std::string_view tag) {
  CORRAL_TRY(validate_name_part(NamePart::kHost, host));
  CORRAL_TRY(validate_name_part(NamePart::kNamespace, name_space));
  CORRAL_TRY(validate_name_part(NamePart::kModel, model));
  CORRAL_TRY(validate_name_part(NamePart::kTag, tag));
  ModelName n;
  n.host_ = host;
  n.namespace_ = name_space;
  n.model_ = model;
  n.tag_ = tag;
  return n;
}

Result<ModelName> ModelName::parse(std::string_view text, const NameDefaults& defaults) {
  auto fail = [&](const Status& why) {
    return invalid_argument("invalid model name %s: %s", quoted(text).c_str(), why.message().c_str());
  };
  if (text.empty()) return invalid_argument("invalid model name: empty");
  if (text.size() > kMaxNameText) {
    return invalid_argument("invalid model name %s: %zu characters is too long", quoted(text).c_str(), text.size());
  }
  std::string_view rest = text;
  if (rest.substr(0, 8) == "https://") {
    rest.remove_prefix(8);
  } else if (rest.substr(0, 7) == "http://") {
    rest.remove_prefix(7);
  }

  std::optional<Digest> digest;
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    auto d = Digest::parse(rest.substr(at + 1));
    if (!d.ok()) return fail(d.status());
    digest = std::move(d).value();
    rest = rest.substr(0, at);
  }

  std::string_view tag;
  bool has_tag = false;
  size_t colon = rest.rfind(':');
  size_t slash = rest.rfind('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    tag = rest.substr(colon + 1);
    has_tag = true;
    rest = rest.substr(0, colon);
    if (tag.empty()) return fail(invalid_argument("tag is empty after ':'"));
  }

  std::string_view parts[4];
  size_t n = 0;
  for (;;) {
    size_t s = rest.find('/');
    if (n == 3) return fail(invalid_argument("too many '/' (expected at most host/namespace/model)"));
    parts[n++] = rest.substr(0, s);
    if (s == std::string_view::npos) break;
    rest = rest.substr(s + 1);
  }
  std::string_view host = defaults.host, ns = defaults.name_space, model;
  if (n == 1) {
    model = parts[0];
  } else if (n == 2) {
    ns = parts[0];
    model = parts[1];
  } else {
    host = parts[0];
    ns = parts[1];
    model = parts[2];
  }
  if (!has_tag) tag = defaults.tag;
  auto name = from_parts(host, ns, model, tag);
  if (!name.ok()) return fail(name.status());
  name->digest_ = std::move(digest);
  return name;
}

std::string ModelName::full() const { return host_ + "/" + namespace_ + "/" + model_ + ":" + tag_; }

std::string ModelName::display_with_tag(const NameDefaults& d) const {
  std::string out;
  if (!store::equal_fold(host_, d.host)) {
    out = host_ + "/" + namespace_ + "/";
  } else if (!store::equal_fold(namespace_, d.name_space)) {
    out = namespace_ + "/";
  }
  return out + model_ + ":" + tag_;
}

std::string ModelName::display(const NameDefaults& d) const {
  std::string out = display_with_tag(d);
  if (store::equal_fold(tag_, d.tag)) out.resize(out.size() - tag_.size() - 1);
  return out;
}

std::string ModelName::manifest_path() const {
  return host_ + "/" + namespace_ + "/" + model_ + "/" + tag_;
}

bool ModelName::equal_fold(const ModelName& o) const {
  return store::equal_fold(host_, o.host_) && store::equal_fold(namespace_, o.namespace_) &&
         store::equal_fold(model_, o.model_) && store::equal_fold(tag_, o.tag_);
}

}  // namespace corral::store
