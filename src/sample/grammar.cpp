#include "sample/grammar.h"

#include <algorithm>
#include <limits>

namespace corral::sample {
namespace {

using Kind = GrammarNode::Kind;
constexpr int kMaxWhitespace = 20;  // longest run of whitespace between tokens of the value
constexpr int kMaxNumberBytes = 40;

bool is_ws(unsigned char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_hex(unsigned char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Object states.
enum : uint8_t { kObjOpen, kObjAfterKey, kObjUnused, kObjInValue, kObjAfterValue, kObjExpectKey, kObjInKey };
// Array states.
enum : uint8_t { kArrOpen, kArrInValue, kArrAfterValue, kArrAfterComma };
// String states.
enum : uint8_t { kStrNormal, kStrEscape, kStrHex };
// Number states.
enum : uint8_t { kNumStart, kNumMinus, kNumZero, kNumInt, kNumDot, kNumFrac, kNumE, kNumESign, kNumExp };

bool number_complete(uint8_t s) { return s == kNumZero || s == kNumInt || s == kNumFrac || s == kNumExp; }

}  // namespace

JsonMatcher::JsonMatcher(std::shared_ptr<const JsonGrammar> grammar) : g_(std::move(grammar)) {
  stack_.reserve(16);
  stack_.push_back(Frame{F::kValue, 0, g_->root(), 0, 0, 0});
}

bool JsonMatcher::feed(std::string_view bytes) {
  for (char c : bytes) {
    if (!feed_byte(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool JsonMatcher::literal_complete(const Frame& f) const {
  const auto& lits = g_->literals(f.b);
  for (size_t i = 0; i < lits.size() && i < 64; ++i) {
    if ((f.mask >> i & 1) && lits[i].size() == static_cast<size_t>(f.a)) return true;
  }
  return false;
}

bool JsonMatcher::accepted() const {
  if (dead_) return false;
  if (done_) return true;
  if (stack_.size() != 1) return false;
  const Frame& f = stack_.back();
  if (f.type == F::kNumber) return number_complete(f.state);
  if (f.type == F::kLiteral) return literal_complete(f);
  return false;
}

uint64_t JsonMatcher::key_candidates(const GrammarNode& n, int next) const {
  uint64_t mask = 0;
  for (size_t i = static_cast<size_t>(next); i < n.prop_nodes.size(); ++i) {
    mask |= uint64_t{1} << i;
    if (n.prop_required[i]) break;
  }
  return mask;
}

namespace {
bool object_may_close(const GrammarNode& n, int next) {
  for (size_t i = static_cast<size_t>(next); i < n.prop_nodes.size(); ++i) {
    if (n.prop_required[i]) return false;
  }
  return true;
}
}  // namespace

// Replaces the top kValue frame with the frame of a value of `node` starting with byte c (not
// yet consumed). False when no value of that node starts with c.
bool JsonMatcher::start_value(int node, unsigned char c) {
  const GrammarNode* n = &g_->node(node);
  if (n->kind == Kind::kUnion) {
    int pick = -1;
    for (int m : n->members) {
      if (g_->can_start(m, c)) {
        pick = m;
        break;
      }
    }
    if (pick < 0) return false;
    node = pick;
    n = &g_->node(node);
  }
  if (!g_->can_start(node, c)) return false;
  Frame& f = stack_.back();
  f = Frame{F::kValue, 0, node, 0, 0, 0};
  switch (n->kind) {
    case Kind::kAny:
      if (c == '{') f.type = F::kObject;
      else if (c == '[') f.type = F::kArray;
      else if (c == '"') f.type = F::kString;
      else if (c == '-' || is_digit(c)) f.type = F::kNumber;
      else {
        f.type = F::kLiteral;
        f.b = g_->keyword_set();
        f.mask = (uint64_t{1} << g_->literals(f.b).size()) - 1;
      }
      break;
    case Kind::kObject: f.type = F::kObject; break;
    case Kind::kArray: f.type = F::kArray; break;
    case Kind::kString: f.type = F::kString; break;
    case Kind::kNumber:
    case Kind::kInteger: f.type = F::kNumber; break;
    case Kind::kLiterals: {
      f.type = F::kLiteral;
      f.b = n->literal_set;
      size_t count = g_->literals(f.b).size();
      f.mask = count >= 64 ? ~uint64_t{0} : (uint64_t{1} << count) - 1;
      break;
    }
    case Kind::kUnion: return false;
  }
  if (f.type == F::kObject || f.type == F::kArray || f.type == F::kString) {
    f.state = 0;  // the opening byte is consumed by the caller returning kTaken
  }
  return true;
}

JsonMatcher::Step JsonMatcher::step(Frame& f, unsigned char c) {
  auto gap = [&]() -> Step {
    took_gap_ws_ = true;
    return ++ws_run_ <= kMaxWhitespace ? kTaken : kReject;
  };
  switch (f.type) {
    case F::kValue: {
      if (is_ws(c)) return gap();
      if (!start_value(f.node, c)) return kReject;
      Frame& nf = stack_.back();
      if (nf.type == F::kObject || nf.type == F::kArray || nf.type == F::kString) return kTaken;
      return kRefeed;  // numbers and literals read their first byte themselves
    }
    case F::kString: {
      if (f.state == kStrEscape) {
        if (c == 'u') {
          f.state = kStrHex;
          f.a = 4;
          return kTaken;
        }
        if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') {
          f.state = kStrNormal;
          return kTaken;
        }
        return kReject;
      }
      if (f.state == kStrHex) {
        if (!is_hex(c)) return kReject;
        if (--f.a == 0) f.state = kStrNormal;
        return kTaken;
      }
      if (f.b > 0) {  // inside a multi-byte UTF-8 character
        if (c < 0x80 || c > 0xBF) return kReject;
        --f.b;
        return kTaken;
      }
      if (c == '"') return kTakenDone;
      if (c == '\\') {
        f.state = kStrEscape;
        return kTaken;
      }
      if (c < 0x20) return kReject;
      if (c < 0x80) return kTaken;
      if (c >= 0xC2 && c <= 0xDF) f.b = 1;
      else if (c >= 0xE0 && c <= 0xEF) f.b = 2;
      else if (c >= 0xF0 && c <= 0xF4) f.b = 3;
      else return kReject;
      return kTaken;
    }
    case F::kNumber: {
      const bool integer = g_->node(f.node).kind == Kind::kInteger;
      uint8_t next = 255;
      switch (f.state) {
        case kNumStart: next = c == '-' ? kNumMinus : c == '0' ? kNumZero : is_digit(c) ? kNumInt : 255; break;
        case kNumMinus: next = c == '0' ? kNumZero : is_digit(c) ? kNumInt : 255; break;
        case kNumZero:
        case kNumInt:
          if (f.state == kNumInt && is_digit(c)) next = kNumInt;
          else if (!integer && c == '.') next = kNumDot;
          else if (!integer && (c == 'e' || c == 'E')) next = kNumE;
          break;
        case kNumDot: next = is_digit(c) ? kNumFrac : 255; break;
        case kNumFrac:
          if (is_digit(c)) next = kNumFrac;
          else if (c == 'e' || c == 'E') next = kNumE;
          break;
        case kNumE: next = (c == '+' || c == '-') ? kNumESign : is_digit(c) ? kNumExp : 255; break;
        case kNumESign: next = is_digit(c) ? kNumExp : 255; break;
        case kNumExp: next = is_digit(c) ? kNumExp : 255; break;
      }
      if (next != 255) {
        if (++f.a > kMaxNumberBytes) return kReject;
        f.state = next;
        return kTaken;
      }
      return number_complete(f.state) ? kPopRefeed : kReject;
    }
    case F::kLiteral: {
      const auto& lits = g_->literals(f.b);
      uint64_t mask = 0;
      bool longer = false;
      for (size_t i = 0; i < lits.size() && i < 64; ++i) {
        if (!(f.mask >> i & 1)) continue;
        const std::string& l = lits[i];
        if (static_cast<size_t>(f.a) < l.size() && static_cast<unsigned char>(l[static_cast<size_t>(f.a)]) == c) {
          mask |= uint64_t{1} << i;
          if (l.size() > static_cast<size_t>(f.a) + 1) longer = true;
        }
      }
      if (mask != 0) {
        f.mask = mask;
        ++f.a;
        return longer ? kTaken : kTakenDone;
      }
      return literal_complete(f) ? kPopRefeed : kReject;
    }
    case F::kObject: {
      const GrammarNode& n = g_->node(f.node);
      const bool any = n.kind == Kind::kAny;
      const bool schema_keys = !any && !n.prop_nodes.empty();
      const bool map = any || (n.prop_nodes.empty() && n.additional >= 0);
      auto start_key = [&]() -> Step {
        if (schema_keys) {
          uint64_t mask = key_candidates(n, f.a);
          if (mask == 0) return kReject;
          f.state = kObjInKey;
          int set = n.key_set;
          stack_.push_back(Frame{F::kLiteral, 0, f.node, 0, set, mask});
          return kRefeed;  // the literal reads the opening quote
        }
        if (!map) return kReject;
        f.state = kObjInKey;
        stack_.push_back(Frame{F::kString, kStrNormal, g_->any_key_node(), 0, 0, 0});
        return kTaken;
      };
      const bool may_close = map || !schema_keys || object_may_close(n, f.a);
      switch (f.state) {
        case kObjOpen:
          if (is_ws(c)) return gap();
          if (c == '}' && may_close) return kTakenDone;
          if (c == '"') return start_key();
          return kReject;
        case kObjAfterKey:
          if (is_ws(c)) return gap();
          if (c != ':') return kReject;
          {
            int value = any ? g_->any_node() : schema_keys ? n.prop_nodes[static_cast<size_t>(f.b)] : n.additional;
            f.state = kObjInValue;
            stack_.push_back(Frame{F::kValue, 0, value, 0, 0, 0});
          }
          return kTaken;
        case kObjAfterValue:
          if (is_ws(c)) return gap();
          if (c == '}' && may_close) return kTakenDone;
          if (c == ',' && (map || key_candidates(n, f.a) != 0)) {
            f.state = kObjExpectKey;
            return kTaken;
          }
          return kReject;
        case kObjExpectKey:
          if (is_ws(c)) return gap();
          if (c == '"') return start_key();
          return kReject;
        default: return kReject;
      }
    }
    case F::kArray: {
      const GrammarNode& n = g_->node(f.node);
      const bool any = n.kind == Kind::kAny;
      const int items = any ? g_->any_node() : n.items;
      const int64_t min_items = any ? 0 : n.min_items;
      const int64_t max_items = any ? -1 : n.max_items;
      auto start_item = [&]() -> Step {
        if ((max_items >= 0 && f.a >= max_items) || !g_->can_start(items, c) ) {
          // A union's members are checked in start_value; can_start covers them too.
          return kReject;
        }
        ++f.a;
        f.state = kArrInValue;
        stack_.push_back(Frame{F::kValue, 0, items, 0, 0, 0});
        return kRefeed;
      };
      switch (f.state) {
        case kArrOpen:
          if (is_ws(c)) return gap();
          if (c == ']' && min_items == 0) return kTakenDone;
          return start_item();
        case kArrAfterValue:
          if (is_ws(c)) return gap();
          if (c == ']' && f.a >= min_items) return kTakenDone;
          if (c == ',' && (max_items < 0 || f.a < max_items)) {
            f.state = kArrAfterComma;
            return kTaken;
          }
          return kReject;
        case kArrAfterComma:
          if (is_ws(c)) return gap();
          return start_item();
        default: return kReject;
      }
    }
  }
  return kReject;
}

void JsonMatcher::child_done(const Frame& done) {
  if (stack_.empty()) {
    done_ = true;
    return;
  }
  Frame& parent = stack_.back();
  if (parent.type == F::kObject) {
    if (parent.state == kObjInKey) {
      if (done.type == F::kLiteral) {
        const auto& lits = g_->literals(done.b);
        for (size_t i = 0; i < lits.size() && i < 64; ++i) {
          if ((done.mask >> i & 1) && lits[i].size() == static_cast<size_t>(done.a)) parent.b = static_cast<int32_t>(i);
        }
      }
      parent.state = kObjAfterKey;
    } else if (parent.state == kObjInValue) {
      parent.state = kObjAfterValue;
      if (g_->node(parent.node).kind == Kind::kObject && !g_->node(parent.node).prop_nodes.empty()) parent.a = parent.b + 1;
    }
  } else if (parent.type == F::kArray) {
    parent.state = kArrAfterValue;
  }
}

bool JsonMatcher::feed_byte(unsigned char c) {
  if (dead_) return false;
  took_gap_ws_ = false;
  for (;;) {
    if (stack_.empty()) {
      dead_ = true;  // nothing may follow a complete value
      return false;
    }
    Step s = step(stack_.back(), c);
    switch (s) {
      case kTaken:
        if (!took_gap_ws_) ws_run_ = 0;
        return true;
      case kTakenDone: {
        ws_run_ = 0;
        Frame done = stack_.back();
        stack_.pop_back();
        child_done(done);
        return true;
      }
      case kRefeed: continue;
      case kPopRefeed: {
        Frame done = stack_.back();
        stack_.pop_back();
        child_done(done);
        if (stack_.empty()) {
          dead_ = true;
          return false;
        }
        continue;
      }
      case kReject:
        dead_ = true;
        return false;
    }
  }
}

// ------------------------------------------------------------------------------------------

GrammarConstraint::GrammarConstraint(std::shared_ptr<const JsonGrammar> grammar, std::shared_ptr<const TokenTable> tokens,
                                     int keep)
    : matcher_(std::move(grammar)), tokens_(std::move(tokens)), keep_(keep) {}

bool GrammarConstraint::allowed(int32_t token, JsonMatcher& scratch) const {
  const size_t t = static_cast<size_t>(token);
  if (tokens_->eog[t]) return matcher_.accepted();
  const std::string& bytes = tokens_->bytes[t];
  if (bytes.empty()) return false;
  scratch = matcher_;
  return scratch.feed(bytes);
}

void GrammarConstraint::apply(std::span<float> logits) {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  const size_t n = std::min(logits.size(), tokens_->bytes.size());
  for (size_t i = n; i < logits.size(); ++i) logits[i] = kNegInf;
  JsonMatcher scratch = matcher_;
  if (keep_ > 0 && n > 0) {
    const size_t m = std::min(n, std::max<size_t>(256, static_cast<size_t>(keep_) * 4));
    order_.resize(n);
    for (size_t i = 0; i < n; ++i) order_[i] = static_cast<int32_t>(i);
    auto better = [&](int32_t a, int32_t b) { return logits[static_cast<size_t>(a)] > logits[static_cast<size_t>(b)]; };
    std::partial_sort(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(m), order_.end(), better);
    std::vector<std::pair<int32_t, float>> kept;
    for (size_t i = 0; i < m && kept.size() < static_cast<size_t>(keep_); ++i) {
      int32_t t = order_[i];
      if (logits[static_cast<size_t>(t)] == kNegInf) break;
      if (allowed(t, scratch)) kept.emplace_back(t, logits[static_cast<size_t>(t)]);
    }
    if (kept.size() >= static_cast<size_t>(keep_)) {
      std::fill(logits.begin(), logits.begin() + static_cast<std::ptrdiff_t>(n), kNegInf);
      for (auto [t, v] : kept) logits[static_cast<size_t>(t)] = v;
      return;
    }
  }
  ++full_scans_;
  size_t allowed_count = 0;
  std::vector<std::pair<int32_t, float>> eog;
  for (size_t i = 0; i < n; ++i) {
    if (tokens_->eog[i]) eog.emplace_back(static_cast<int32_t>(i), logits[i]);
    if (allowed(static_cast<int32_t>(i), scratch)) {
      ++allowed_count;
    } else {
      logits[i] = kNegInf;
    }
  }
  // A dead end (cannot happen for a satisfiable grammar): let the model end instead of
  // sampling from nothing.
  if (allowed_count == 0) {
    for (auto [t, v] : eog) logits[static_cast<size_t>(t)] = v;
  }
}

bool GrammarConstraint::accept(int32_t token) {
  if (token < 0 || static_cast<size_t>(token) >= tokens_->bytes.size()) return false;
  if (tokens_->eog[static_cast<size_t>(token)]) return matcher_.accepted();
  return matcher_.feed(tokens_->bytes[static_cast<size_t>(token)]);
}

}  // namespace corral::sample
