#include "formats/pickle.h"

#include "formats/pickle_globals.h"

#include <cstdio>
#include <cstring>
#include <string_view>
#include <unordered_map>

namespace corral {

using namespace pickle_internal;  // NOLINT: the allow-list's kinds read better unqualified

namespace {

constexpr size_t kMaxTensorDims = 64;

// Printable text of a name taken from the input, for error messages.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 200)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    }
  }
  return out;
}

}  // namespace

class Unpickler {
 public:
  Unpickler(std::span<const std::byte> bytes, const UnpickleLimits& limits)
      : bytes_(bytes), limits_(limits) {}

  Result<PickleTree> run();

 private:
  // Reading the input.
  bool have(uint64_t n) const { return n <= bytes_.size() - pos_; }
  uint64_t read_le(size_t n) {
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) v = (v << 8) | std::to_integer<uint64_t>(bytes_[pos_ + i]);
    pos_ += n;
    return v;
  }
  Status truncated(const char* what) const {
    return corrupt("pickle: truncated %s at offset %zu", what, op_pos_);
  }
  Status bad(const char* what) const {
    return corrupt("pickle: %s (opcode 0x%02x at offset %zu)", what, op_, op_pos_);
  }

  // The value stack, marks and memo.
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  Result<uint32_t> new_node(PickleKind kind);
  Status push(uint32_t id);
  Result<uint32_t> pop();
  Result<uint32_t> top();
  Result<std::vector<uint32_t>> pop_mark();
  PickleNode& at(uint32_t id) { return tree_.nodes_[id]; }
  Status charge(size_t bytes);

  Status op_string(PickleKind kind, size_t len_bytes);
  Status op_int(int64_t v);
  Status op_long(size_t len_bytes);
  Status op_global(std::string_view module, std::string_view name);
  Status op_reduce();
  Status op_build();
  Status op_persid();
  Status op_memo_put(uint64_t index);
  Status op_memo_get(uint64_t index);
  Status set_items(uint32_t dict, const std::vector<uint32_t>& kv);
  Result<uint32_t> rebuild_tensor(const std::vector<uint32_t>& args);
  Status step();

  std::span<const std::byte> bytes_;
  UnpickleLimits limits_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  size_t copied_bytes_ = 0;
  unsigned op_ = 0;
  bool stopped_ = false;
  PickleTree tree_;
  std::vector<uint32_t> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, uint32_t> memo_;
};

Result<uint32_t> Unpickler::new_node(PickleKind kind) {
  if (tree_.nodes_.size() >= limits_.max_nodes) {
    return corrupt("pickle: more than %zu values (offset %zu)", limits_.max_nodes, op_pos_);
  }
  tree_.nodes_.emplace_back();
  tree_.nodes_.back().kind = kind;
  return static_cast<uint32_t>(tree_.nodes_.size() - 1);
}

Status Unpickler::charge(size_t bytes) {
  copied_bytes_ += bytes;
  if (copied_bytes_ > limits_.max_copy_bytes) {
    return corrupt("pickle: values reused through the memo expand past %zu bytes (offset %zu)",
                   limits_.max_copy_bytes, op_pos_);
  }
  return ok_status();
}

Status Unpickler::push(uint32_t id) {
  if (stack_.size() >= limits_.max_stack) {
    return corrupt("pickle: stack deeper than %zu (offset %zu)", limits_.max_stack, op_pos_);
  }
  stack_.push_back(id);
  return ok_status();
}

Result<uint32_t> Unpickler::pop() {
  if (stack_.size() <= floor()) return bad("stack underflow");
  uint32_t id = stack_.back();
  stack_.pop_back();
  return id;
}

Result<uint32_t> Unpickler::top() {
  if (stack_.size() <= floor()) return bad("stack underflow");
  return stack_.back();
}

Result<std::vector<uint32_t>> Unpickler::pop_mark() {
  if (marks_.empty()) return bad("no MARK before this opcode");
  size_t m = marks_.back();
  marks_.pop_back();
  std::vector<uint32_t> items(stack_.begin() + static_cast<ptrdiff_t>(m), stack_.end());
  stack_.resize(m);
  return items;
}

Status Unpickler::op_string(PickleKind kind, size_t len_bytes) {
  if (!have(len_bytes)) return truncated("string length");
  uint64_t len = read_le(len_bytes);
  if (len_bytes == 4 && op_ == 'T' && (len & 0x80000000u)) return bad("negative string length");
  if (!have(len)) return truncated("string");
  CORRAL_ASSIGN_OR_RETURN(uint32_t id, new_node(kind));
  at(id).text.assign(reinterpret_cast<const char*>(bytes_.data() + pos_), static_cast<size_t>(len));
  pos_ += static_cast<size_t>(len);
  return push(id);
}

Status Unpickler::op_int(int64_t v) {
  CORRAL_ASSIGN_OR_RETURN(uint32_t id, new_node(PickleKind::kInt));
  at(id).int_value = v;
  return push(id);
}

Status Unpickler::op_long(size_t len_bytes) {
  if (!have(len_bytes)) return truncated("long length");
  uint64_t n = read_le(len_bytes);
  if (n > 8) return bad("integer wider than 64 bits");
  if (!have(n)) return truncated("long");
  uint64_t v = read_le(static_cast<size_t>(n));
  if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign-extend
  return op_int(static_cast<int64_t>(v));
}

Status Unpickler::op_global(std::string_view module, std::string_view name) {
  const AllowedGlobal* g = find_allowed(module, name);
  if (g == nullptr) {
    return invalid_argument("pickle: global '%s.%s' is not allowed (offset %zu); only torch "
                            "tensors, storages and OrderedDict may appear in a checkpoint",
                            printable(module).c_str(), printable(name).c_str(), op_pos_);
  }
  CORRAL_ASSIGN_OR_RETURN(uint32_t id, new_node(PickleKind::kGlobal));
  PickleNode& n = at(id);
  n.text = std::string(module) + "." + std::string(name);
  n.global_kind = g->kind;
  n.dtype = g->dtype;
  return push(id);
}

Status Unpickler::set_items(uint32_t dict, const std::vector<uint32_t>& kv) {
  if (at(dict).kind != PickleKind::kDict) return bad("SETITEM on a value that is not a dict");
  if (kv.size() % 2 != 0) return bad("odd number of items for a dict");
  CORRAL_TRY(charge(kv.size() * sizeof(uint32_t)));
  auto& items = at(dict).items;
  items.insert(items.end(), kv.begin(), kv.end());
  return ok_status();
}

Result<uint32_t> Unpickler::rebuild_tensor(const std::vector<uint32_t>& args) {
  // (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
  if (args.size() < 4) return bad("tensor rebuild needs (storage, offset, size, stride)");
  const PickleNode& storage = at(args[0]);
  const PickleNode& offset = at(args[1]);
  const PickleNode& size = at(args[2]);
  const PickleNode& stride = at(args[3]);
  if (storage.kind != PickleKind::kStorage) return bad("tensor rebuild: first argument is not a storage");
  if (offset.kind != PickleKind::kInt || offset.int_value < 0) {
    return bad("tensor rebuild: storage offset is not a non-negative integer");
  }
  if (size.kind != PickleKind::kTuple || stride.kind != PickleKind::kTuple ||
      size.items.size() != stride.items.size()) {
    return bad("tensor rebuild: size and stride must be tuples of equal length");
  }
  if (size.items.size() > kMaxTensorDims) return bad("tensor rebuild: more than 64 dimensions");
  CORRAL_TRY(charge(size.items.size() * 2 * sizeof(int64_t)));
  std::vector<int64_t> shape, strides;
  for (size_t i = 0; i < size.items.size(); ++i) {
    const PickleNode& d = at(size.items[i]);
    const PickleNode& s = at(stride.items[i]);
    if (d.kind != PickleKind::kInt || d.int_value < 0) return bad("tensor rebuild: size is not a non-negative integer");
    if (s.kind != PickleKind::kInt) return bad("tensor rebuild: stride is not an integer");
    shape.push_back(d.int_value);
    strides.push_back(s.int_value);
  }
  // new_node() may move the arena: the references above are not used after this point.
  CORRAL_ASSIGN_OR_RETURN(uint32_t id, new_node(PickleKind::kTensor));
  PickleNode& t = at(id);
  t.int_value = at(args[1]).int_value;
  t.items = {args[0]};
  t.dtype = at(args[0]).dtype;
  t.shape = std::move(shape);
  t.stride = std::move(strides);
  return id;
}

Status Unpickler::op_reduce() {
  CORRAL_ASSIGN_OR_RETURN(uint32_t args_id, pop());
  CORRAL_ASSIGN_OR_RETURN(uint32_t fn_id, pop());
  if (at(args_id).kind != PickleKind::kTuple) return bad("REDUCE arguments are not a tuple");
  const PickleNode& fn = at(fn_id);
  if (fn.kind != PickleKind::kGlobal) return bad("REDUCE of a value that is not a global");
  // Every allowed callable takes at most 7 arguments; copying more would let memo-reused tuples
  // multiply the work.
  if (at(args_id).items.size() > 7) return bad("REDUCE with more than 7 arguments");
  const std::vector<uint32_t> args = at(args_id).items;
  switch (fn.global_kind) {
    case kOrderedDict: {
      CORRAL_ASSIGN_OR_RETURN(uint32_t id, new_node(PickleKind::kDict));
      if (!args.empty()) {
        if (args.size() != 1 || at(args[0]).kind != PickleKind::kList) {
          return bad("OrderedDict() takes nothing or a list of pairs");
        }
        std::vector<uint32_t> kv;
        for (uint32_t pair : at(args[0]).items) {
          if (at(pair).kind != PickleKind::kTuple || at(pair).items.size() != 2) {
            return bad("OrderedDict() item is not a pair");
          }
          kv.push_back(at(pair).items[0]);
          kv.push_back(at(pair).items[1]);
        }
        CORRAL_TRY(set_items(id, kv));
      }
      return push(id);
    }
    case kRebuildTensorV2:
    case kRebuildTensor: {
      CORRAL_ASSIGN_OR_RETURN(uint32_t id, rebuild_tensor(args));
      return push(id);
    }
    case kRebuildParameter:
    case kRebuildParameterWithState:
      if (args.size() < 3 || at(args[0]).kind != PickleKind::kTensor) {
        return bad("parameter rebuild does not wrap a tensor");
      }
      return push(args[0]);
    default:
      return invalid_argument("pickle: global '%s' cannot be called (offset %zu)",
                              fn.text.c_str(), op_pos_);
  }
}

Status Unpickler::op_build() {
  CORRAL_ASSIGN_OR_RETURN(uint32_t state, pop());
  CORRAL_ASSIGN_OR_RETURN(uint32_t obj, top());
  (void)state;  // object attributes (an OrderedDict's _metadata, a parameter's state): ignored
  PickleKind k = at(obj).kind;
  if (k != PickleKind::kDict && k != PickleKind::kTensor) return bad("BUILD on a value that is not a dict or tensor");
  return ok_status();
}

Status Unpickler::op_persid() {
  // torch.save: ('storage', storage_type, key, location, numel)
  CORRAL_ASSIGN_OR_RETURN(uint32_t pid_id, pop());
  const PickleNode& pid = at(pid_id);
  if (pid.kind != PickleKind::kTuple || pid.items.size() != 5 ||
      at(pid.items[0]).kind != PickleKind::kString || at(pid.items[0]).text != "storage") {
    return bad("persistent id is not ('storage', type, key, location, numel)");
  }
  const PickleNode& type = at(pid.items[1]);
  const PickleNode& key = at(pid.items[2]);
  const PickleNode& numel = at(pid.items[4]);
  if (type.kind != PickleKind::kGlobal || type.global_kind != kStorageType) {
    return bad("persistent id does not name a torch storage type");
  }
  if (key.kind != PickleKind::kString) return bad("storage key is not a string");
  if (numel.kind != PickleKind::kInt || numel.int_value < 0) return bad("storage size is not a non-negative integer");
  const HfDType dtype = type.dtype;
  CORRAL_TRY(charge(key.text.size()));
  std::string key_text = key.text;
  const uint64_t count = static_cast<uint64_t>(numel.int_value);
  // new_node() may move the arena: no references into it are used after this point.
  CORRAL_ASSIGN_OR_RETURN(uint32_t id, new_node(PickleKind::kStorage));
  PickleNode& s = at(id);
  s.dtype = dtype;
  s.text = std::move(key_text);
  s.numel = count;
  return push(id);
}

Status Unpickler::op_memo_put(uint64_t index) {
  CORRAL_ASSIGN_OR_RETURN(uint32_t id, top());
  if (memo_.size() >= limits_.max_memo && memo_.find(index) == memo_.end()) {
    return corrupt("pickle: more than %zu memo entries (offset %zu)", limits_.max_memo, op_pos_);
  }
  memo_[index] = id;
  return ok_status();
}

Status Unpickler::op_memo_get(uint64_t index) {
  auto it = memo_.find(index);
  if (it == memo_.end()) {
    return corrupt("pickle: memo index %llu was never stored (offset %zu)",
                   static_cast<unsigned long long>(index), op_pos_);
  }
  return push(it->second);
}

Status Unpickler::step() {
  op_pos_ = pos_;
  op_ = std::to_integer<unsigned>(bytes_[pos_++]);
  auto need = [&](size_t n) { return have(n) ? ok_status() : truncated("operand"); };
  switch (op_) {
    case 0x80:  // PROTO
      CORRAL_TRY(need(1));
      if (read_le(1) > 5) return bad("pickle protocol newer than 5");
      return ok_status();
    case 0x95:  // FRAME: an 8-byte length hint; frames need no handling when reading from memory
      CORRAL_TRY(need(8));
      read_le(8);
      return ok_status();
    case '.':  // STOP
      stopped_ = true;
      return ok_status();
    case '(':  // MARK
      if (marks_.size() >= limits_.max_marks) {
        return corrupt("pickle: more than %zu nested MARKs (offset %zu)", limits_.max_marks, op_pos_);
      }
      marks_.push_back(stack_.size());
      return ok_status();
    case '0': {  // POP
      CORRAL_ASSIGN_OR_RETURN(uint32_t id, pop());
      (void)id;
      return ok_status();
    }
    case '1': {  // POP_MARK
      CORRAL_ASSIGN_OR_RETURN(auto items, pop_mark());
      (void)items;
      return ok_status();
    }
    case '2': {  // DUP
      CORRAL_ASSIGN_OR_RETURN(uint32_t id, top());
      return push(id);
    }
    case 'N': {
      CORRAL_ASSIGN_OR_RETURN(uint32_t id, new_node(PickleKind::kNone));
      return push(id);
    }
    case 0x88:  // NEWTRUE
    case 0x89: {  // NEWFALSE
      CORRAL_ASSIGN_OR_RETURN(uint32_t id, new_node(PickleKind::kBool));
      at(id).int_value = op_ == 0x88 ? 1 : 0;
      return push(id);
    }
    case 'J':  // BININT
      CORRAL_TRY(need(4));
      return op_int(static_cast<int32_t>(static_cast<uint32_t>(read_le(4))));
    case 'K':  // BININT1
      CORRAL_TRY(need(1));
      return op_int(static_cast<int64_t>(read_le(1)));
    case 'M':  // BININT2
      CORRAL_TRY(need(2));
      return op_int(static_cast<int64_t>(read_le(2)));
    case 0x8a:  // LONG1
      return op_long(1);
    case 0x8b:  // LONG4
      return op_long(4);
    case 'G': {  // BINFLOAT, big-endian
      CORRAL_TRY(need(8));
      uint64_t bits = 0;
      for (int i = 0; i < 8; ++i) bits = (bits << 8) | std::to_integer<uint64_t>(bytes_[pos_++]);
      CORRAL_ASSIGN_OR_RETURN(uint32_t id, new_node(PickleKind::kFloat));
      std::memcpy(&at(id).float_value, &bits, 8);
      return push(id);
    }
    case 'X': return op_string(PickleKind::kString, 4);     // BINUNICODE
    case 0x8c: return op_string(PickleKind::kString, 1);    // SHORT_BINUNICODE
    case 0x8d: return op_string(PickleKind::kString, 8);    // BINUNICODE8
    case 'T': return op_string(PickleKind::kString, 4);     // BINSTRING
    case 'U': return op_string(PickleKind::kString, 1);     // SHORT_BINSTRING
    case 'B': return op_string(PickleKind::kBytes, 4);      // BINBYTES
    case 'C': return op_string(PickleKind::kBytes, 1);      // SHORT_BINBYTES
    case 0x8e: return op_string(PickleKind::kBytes, 8);     // BINBYTES8
    case '}':  // EMPTY_DICT
    case ']':  // EMPTY_LIST
    case ')': {  // EMPTY_TUPLE
      PickleKind k = op_ == '}' ? PickleKind::kDict : op_ == ']' ? PickleKind::kList : PickleKind::kTuple;
      CORRAL_ASSIGN_OR_RETURN(uint32_t id, new_node(k));
      return push(id);
    }
    case 't':  // TUPLE
    case 'l':  // LIST
    case 'd': {  // DICT
      CORRAL_ASSIGN_OR_RETURN(std::vector<uint32_t> items, pop_mark());
      PickleKind k = op_ == 't' ? PickleKind::kTuple : op_ == 'l' ? PickleKind::kList : PickleKind::kDict;
      CORRAL_ASSIGN_OR_RETURN(uint32_t id, new_node(k));
      if (k == PickleKind::kDict) {
        CORRAL_TRY(set_items(id, items));
      } else {
        at(id).items = std::move(items);
      }
      return push(id);
    }
    case 0x85:  // TUPLE1
    case 0x86:  // TUPLE2
    case 0x87: {  // TUPLE3
      const size_t n = op_ - 0x84;
      if (stack_.size() < floor() + n) return bad("stack underflow");
      CORRAL_ASSIGN_OR_RETURN(uint32_t id, new_node(PickleKind::kTuple));
      at(id).items.assign(stack_.end() - static_cast<ptrdiff_t>(n), stack_.end());
      stack_.resize(stack_.size() - n);
      return push(id);
    }
    case 'a': {  // APPEND
      CORRAL_ASSIGN_OR_RETURN(uint32_t v, pop());
      CORRAL_ASSIGN_OR_RETURN(uint32_t list, top());
      if (at(list).kind != PickleKind::kList) return bad("APPEND to a value that is not a list");
      at(list).items.push_back(v);
      return ok_status();
    }
    case 'e': {  // APPENDS
      CORRAL_ASSIGN_OR_RETURN(std::vector<uint32_t> items, pop_mark());
      CORRAL_ASSIGN_OR_RETURN(uint32_t list, top());
      if (at(list).kind != PickleKind::kList) return bad("APPENDS to a value that is not a list");
      auto& dst = at(list).items;
      dst.insert(dst.end(), items.begin(), items.end());
      return ok_status();
    }
    case 's': {  // SETITEM
      CORRAL_ASSIGN_OR_RETURN(uint32_t v, pop());
      CORRAL_ASSIGN_OR_RETURN(uint32_t k, pop());
      CORRAL_ASSIGN_OR_RETURN(uint32_t dict, top());
      return set_items(dict, {k, v});
    }
    case 'u': {  // SETITEMS
      CORRAL_ASSIGN_OR_RETURN(std::vector<uint32_t> items, pop_mark());
      CORRAL_ASSIGN_OR_RETURN(uint32_t dict, top());
      return set_items(dict, items);
    }
    case 'q':  // BINPUT
      CORRAL_TRY(need(1));
      return op_memo_put(read_le(1));
    case 'r':  // LONG_BINPUT
      CORRAL_TRY(need(4));
      return op_memo_put(read_le(4));
    case 0x94:  // MEMOIZE
      return op_memo_put(memo_.size());
    case 'h':  // BINGET
      CORRAL_TRY(need(1));
      return op_memo_get(read_le(1));
    case 'j':  // LONG_BINGET
      CORRAL_TRY(need(4));
      return op_memo_get(read_le(4));
    case 'c': {  // GLOBAL: "module\nname\n"
      std::string_view rest(reinterpret_cast<const char*>(bytes_.data() + pos_), bytes_.size() - pos_);
      size_t nl1 = rest.find('\n');
      size_t nl2 = nl1 == std::string_view::npos ? nl1 : rest.find('\n', nl1 + 1);
      if (nl2 == std::string_view::npos) return truncated("GLOBAL");
      pos_ += nl2 + 1;
      return op_global(rest.substr(0, nl1), rest.substr(nl1 + 1, nl2 - nl1 - 1));
    }
    case 0x93: {  // STACK_GLOBAL
      CORRAL_ASSIGN_OR_RETURN(uint32_t name, pop());
      CORRAL_ASSIGN_OR_RETURN(uint32_t module, pop());
      if (at(name).kind != PickleKind::kString || at(module).kind != PickleKind::kString) {
        return bad("STACK_GLOBAL needs two strings");
      }
      const std::string module_text = at(module).text, name_text = at(name).text;
      return op_global(module_text, name_text);
    }
    case 'R': return op_reduce();
    case 'b': return op_build();
    case 'Q': return op_persid();
    default:
      return unsupported("pickle: unsupported opcode 0x%02x at offset %zu", op_, op_pos_);
  }
}

Result<PickleTree> Unpickler::run() {
  while (!stopped_) {
    if (pos_ >= bytes_.size()) return corrupt("pickle: truncated: no STOP opcode in %zu bytes", bytes_.size());
    CORRAL_TRY(step());
  }
  if (stack_.empty()) return corrupt("pickle: STOP with an empty stack (offset %zu)", op_pos_);
  tree_.root_ = stack_.back();
  return std::move(tree_);
}

Result<PickleTree> unpickle_restricted(std::span<const std::byte> bytes, const UnpickleLimits& limits) {
  Unpickler u(bytes, limits);
  return u.run();
}

}  // namespace corral
