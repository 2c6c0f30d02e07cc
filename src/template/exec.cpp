// Executor of parsed Go templates (the Template methods declared in gotmpl.h).
#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include "template/ast.h"
#include "template/builtins.h"
#include "template/go_fmt.h"
#include "template/gotmpl.h"
#include "template/parser.h"

namespace corral::tmpl {
namespace {

enum class Flow { kNext, kBreak, kContinue, kError };

// What the executor is looking at, for "executing ... at <...>" messages.
struct At {
  size_t pos = 0;
  const Arg* arg = nullptr;
  const Command* cmd = nullptr;
  const Pipe* pipe = nullptr;
  const Node* node = nullptr;
};

std::string node_string(const Node& n) {
  switch (n.type) {
    case NodeType::kText: return go_quote(n.text);
    case NodeType::kAction: return "{{" + (n.pipe ? pipe_string(*n.pipe) : std::string()) + "}}";
    case NodeType::kIf: return "{{if " + (n.pipe ? pipe_string(*n.pipe) : std::string()) + "}}";
    case NodeType::kRange: return "{{range " + (n.pipe ? pipe_string(*n.pipe) : std::string()) + "}}";
    case NodeType::kWith: return "{{with " + (n.pipe ? pipe_string(*n.pipe) : std::string()) + "}}";
    case NodeType::kTemplate:
      return "{{template " + go_quote(n.name) + (n.pipe ? " " + pipe_string(*n.pipe) : std::string()) + "}}";
    case NodeType::kBreak: return "{{break}}";
    case NodeType::kContinue: return "{{continue}}";
  }
  return "";
}

class Executor {
 public:
  Executor(const TreeSet& set, const FuncMap* funcs, const ExecOptions& opts, std::string* out)
      : set_(set), funcs_(funcs), opts_(opts), out_(out) {}

  Status run(std::string_view name, const Value& data) {
    auto it = set_.trees.find(name);
    if (it == set_.trees.end()) {
      return invalid_argument("template: no template %s associated with template %s", go_quote(name).c_str(),
                              go_quote(set_.name).c_str());
    }
    tmpl_name_ = std::string(name);
    vars_.clear();
    vars_.emplace_back("$", data);
    walk_list(data, it->second);
    return status_;
  }

 private:
  // ---- errors and limits ----
  bool errorf(const std::string& msg) {
    if (!status_.ok()) return false;
    std::string ctx;
    if (at_.arg) ctx = arg_string(*at_.arg);
    else if (at_.cmd) ctx = command_string(*at_.cmd);
    else if (at_.pipe) ctx = pipe_string(*at_.pipe);
    else if (at_.node) ctx = node_string(*at_.node);
    if (ctx.size() > 20) {
      size_t i = 0, n = 0;
      while (i < ctx.size() && n < 20) {
        size_t sz = 1;
        decode_rune(ctx, i, &sz);
        i += sz;
        ++n;
      }
      if (i < ctx.size()) ctx = ctx.substr(0, i) + "...";
    }
    status_ = invalid_argument("template: %s:%s: executing %s at <%s>: %s", set_.name.c_str(),
                               line_col(set_.text, at_.pos).c_str(), go_quote(tmpl_name_).c_str(), ctx.c_str(),
                               msg.c_str());
    return false;
  }
  void at(const Arg& a) { at_ = At{a.pos, &a, nullptr, nullptr, nullptr}; }
  void at(const Command& c) { at_ = At{c.pos, nullptr, &c, nullptr, nullptr}; }
  void at(const Pipe& p) { at_ = At{p.pos, nullptr, nullptr, &p, nullptr}; }
  void at(const Node& n) { at_ = At{n.pos, nullptr, nullptr, nullptr, &n}; }

  bool step() {
    if (++steps_ > opts_.max_steps) {
      return errorf("execution exceeds the limit of " + std::to_string(opts_.max_steps) + " steps");
    }
    return true;
  }
  bool write(std::string_view s) {
    if (out_->size() + s.size() > opts_.max_output_bytes) {
      return errorf("output exceeds the limit of " + std::to_string(opts_.max_output_bytes) + " bytes");
    }
    out_->append(s);
    return true;
  }
  struct Nest {
    Executor& e;
    bool ok;
    explicit Nest(Executor& ex) : e(ex), ok(++ex.nesting_ <= ex.opts_.max_nesting) {
      if (!ok) e.errorf("execution nesting exceeds the limit of " + std::to_string(e.opts_.max_nesting));
    }
    ~Nest() { --e.nesting_; }
  };

  // ---- variables ----
  size_t mark() const { return vars_.size(); }
  void pop(size_t m) { vars_.resize(m); }
  bool set_var(const std::string& name, const Value& v) {
    for (size_t i = vars_.size(); i-- > 0;) {
      if (vars_[i].first == name) {
        vars_[i].second = v;
        return true;
      }
    }
    return errorf("undefined variable: " + name);
  }
  bool var_value(const std::string& name, Value* out) {
    for (size_t i = vars_.size(); i-- > 0;) {
      if (vars_[i].first == name) {
        *out = vars_[i].second;
        return true;
      }
    }
    return errorf("undefined variable: " + name);
  }

  // ---- walking ----
  Flow walk_list(const Value& dot, const std::vector<Node>& list) {
    for (const Node& n : list) {
      Flow f = walk(dot, n);
      if (f != Flow::kNext) return f;
    }
    return Flow::kNext;
  }

  Flow walk(const Value& dot, const Node& n) {
    at(n);
    if (!step()) return Flow::kError;
    switch (n.type) {
      case NodeType::kText:
        return write(n.text) ? Flow::kNext : Flow::kError;
      case NodeType::kAction: {
        Value v;
        if (!eval_pipeline(dot, *n.pipe, &v)) return Flow::kError;
        if (n.pipe->decl.empty()) {
          at(n);
          if (v.kind() == ValueKind::kFunction) {
            errorf("can't print " + node_string(n) + " of type " + v.type_name());
            return Flow::kError;
          }
          if (!write(go_print_action(v))) return Flow::kError;
        }
        return Flow::kNext;
      }
      case NodeType::kIf:
      case NodeType::kWith: {
        Nest nest(*this);
        if (!nest.ok) return Flow::kError;
        size_t m = mark();
        Value v;
        if (!eval_pipeline(dot, *n.pipe, &v)) return Flow::kError;
        Flow f = Flow::kNext;
        if (value_truth(v)) {
          f = walk_list(n.type == NodeType::kWith ? v : dot, n.list);
        } else if (n.has_else) {
          f = walk_list(dot, n.else_list);
        }
        pop(m);
        return f;
      }
      case NodeType::kRange:
        return walk_range(dot, n);
      case NodeType::kTemplate:
        return walk_template(dot, n);
      case NodeType::kBreak:
        return Flow::kBreak;
      case NodeType::kContinue:
        return Flow::kContinue;
    }
    return Flow::kNext;
  }

  Flow walk_range(const Value& dot, const Node& n) {
    Nest nest(*this);
    if (!nest.ok) return Flow::kError;
    size_t outer = mark();
    Value val;
    if (!eval_pipeline(dot, *n.pipe, &val)) return Flow::kError;
    size_t m = mark();
    const Pipe& pipe = *n.pipe;
    // One iteration; returns false to stop the loop (break or error).
    auto one = [&](const Value& index, const Value& elem, Flow* result) {
      if (!step()) {
        *result = Flow::kError;
        return false;
      }
      if (!pipe.decl.empty()) {
        if (pipe.is_assign) {
          if (!set_var(pipe.decl[0], pipe.decl.size() > 1 ? index : elem)) {
            *result = Flow::kError;
            return false;
          }
          if (pipe.decl.size() > 1 && !set_var(pipe.decl[1], elem)) {
            *result = Flow::kError;
            return false;
          }
        } else {
          vars_[vars_.size() - 1].second = elem;
          if (pipe.decl.size() > 1) vars_[vars_.size() - 2].second = index;
        }
      }
      Flow f = walk_list(elem, n.list);
      pop(m);
      if (f == Flow::kError) {
        *result = Flow::kError;
        return false;
      }
      if (f == Flow::kBreak) return false;
      return true;
    };
    Flow result = Flow::kNext;
    bool empty = true;
    switch (val.kind()) {
      case ValueKind::kList: {
        auto items = val.items();
        Value list_keepalive = val;
        empty = items.empty();
        for (size_t i = 0; i < items.size(); ++i) {
          if (!one(Value::integer(static_cast<int64_t>(i)), items[i], &result)) break;
        }
        break;
      }
      case ValueKind::kMap: {
        auto entries = val.entries();
        empty = entries.empty();
        for (const auto& [k, e] : entries) {
          if (!one(Value::string(k), e, &result)) break;
        }
        break;
      }
      case ValueKind::kInt: {
        if (pipe.decl.size() > 1) {
          errorf("can't use " + go_print_action(val) + " to iterate over more than one variable");
          return Flow::kError;
        }
        empty = val.as_int() <= 0;
        for (int64_t i = 0; i < val.as_int(); ++i) {
          if (!one(Value::integer(i), Value::integer(i), &result)) break;
        }
        break;
      }
      case ValueKind::kInvalid:
        break;
      default:
        errorf("range can't iterate over " + go_print_action(val));
        return Flow::kError;
    }
    if (result == Flow::kError) return Flow::kError;
    if (empty && n.has_else) {
      Flow f = walk_list(dot, n.else_list);
      if (f == Flow::kError) return f;
    }
    pop(outer);
    return Flow::kNext;
  }

  Flow walk_template(const Value& dot, const Node& n) {
    auto it = set_.trees.find(n.name);
    if (it == set_.trees.end()) {
      errorf("template " + go_quote(n.name) + " not defined");
      return Flow::kError;
    }
    if (depth_ >= opts_.max_template_depth) {
      errorf("exceeded maximum template depth (" + std::to_string(opts_.max_template_depth) + ")");
      return Flow::kError;
    }
    Nest nest(*this);
    if (!nest.ok) return Flow::kError;
    Value new_dot;
    if (n.pipe && !eval_pipeline(dot, *n.pipe, &new_dot)) return Flow::kError;
    std::vector<std::pair<std::string, Value>> saved = std::move(vars_);
    std::string saved_name = std::move(tmpl_name_);
    vars_.clear();
    vars_.emplace_back("$", new_dot);
    tmpl_name_ = n.name;
    ++depth_;
    Flow f = walk_list(new_dot, it->second);
    --depth_;
    vars_ = std::move(saved);
    tmpl_name_ = std::move(saved_name);
    return f == Flow::kError ? Flow::kError : Flow::kNext;
  }

  // ---- evaluation ----
  bool eval_pipeline(const Value& dot, const Pipe& pipe, Value* out) {
    at(pipe);
    std::optional<Value> final;
    Value value;
    for (const Command& cmd : pipe.cmds) {
      if (!eval_command(dot, cmd, final, &value)) return false;
      if (value.kind() == ValueKind::kNil) value = Value();  // an empty interface digs down to nothing
      final = value;
    }
    for (const std::string& name : pipe.decl) {
      if (pipe.is_assign) {
        if (!set_var(name, value)) return false;
      } else {
        vars_.emplace_back(name, value);
      }
    }
    *out = std::move(value);
    return true;
  }

  bool not_a_function(const Command& cmd, const std::optional<Value>& final) {
    if (cmd.args.size() > 1 || final) return errorf("can't give argument to non-function " + arg_string(cmd.args[0]));
    return true;
  }

  bool eval_command(const Value& dot, const Command& cmd, const std::optional<Value>& final, Value* out) {
    if (!step()) return false;
    const Arg& first = cmd.args[0];
    switch (first.type) {
      case ArgType::kField:
        at(first);
        return eval_field_chain(dot, dot, first, first.idents, 0, &cmd, final, out);
      case ArgType::kChain:
        return eval_chain(dot, first, &cmd, final, out);
      case ArgType::kIdentifier:
        return eval_function(dot, first, &cmd, final, out);
      case ArgType::kPipe:
        if (!not_a_function(cmd, final)) return false;
        return eval_nested_pipeline(dot, *first.pipe, out);
      case ArgType::kVariable:
        return eval_variable(dot, first, &cmd, final, out);
      default:
        break;
    }
    at(first);
    if (!not_a_function(cmd, final)) return false;
    switch (first.type) {
      case ArgType::kBool:
      case ArgType::kNumber:
      case ArgType::kString:
        *out = first.constant;
        return true;
      case ArgType::kDot:
        *out = dot;
        return true;
      case ArgType::kNil:
        return errorf("nil is not a command");
      default:
        return errorf("can't evaluate command " + go_quote(arg_string(first)));
    }
  }

  bool eval_nested_pipeline(const Value& dot, const Pipe& pipe, Value* out) {
    Nest nest(*this);
    if (!nest.ok) return false;
    return eval_pipeline(dot, pipe, out);
  }

  bool eval_chain(const Value& dot, const Arg& chain, const Command* cmd, const std::optional<Value>& final,
                  Value* out) {
    at(chain);
    if (chain.base->type == ArgType::kNil) {
      return errorf("indirection through explicit nil in " + arg_string(chain));
    }
    Value base;
    if (!eval_arg(dot, *chain.base, &base, /*to_nil=*/false)) return false;
    return eval_field_chain(dot, base, chain, chain.idents, 0, cmd, final, out);
  }

  bool eval_variable(const Value& dot, const Arg& var, const Command* cmd, const std::optional<Value>& final,
                     Value* out) {
    at(var);
    Value v;
    if (!var_value(var.idents[0], &v)) return false;
    if (var.idents.size() == 1) {
      if (cmd && !not_a_function(*cmd, final)) return false;
      *out = std::move(v);
      return true;
    }
    return eval_field_chain(dot, v, var, var.idents, 1, cmd, final, out);
  }

  // Applies idents[start..] to receiver; the last one gets the command's arguments.
  bool eval_field_chain(const Value& dot, Value receiver, const Arg& node, const std::vector<std::string>& idents,
                        size_t start, const Command* cmd, const std::optional<Value>& final, Value* out) {
    for (size_t i = start; i + 1 < idents.size(); ++i) {
      Value next;
      if (!eval_field(dot, idents[i], node, nullptr, std::nullopt, receiver, &next)) return false;
      receiver = std::move(next);
    }
    return eval_field(dot, idents.back(), node, cmd, final, receiver, out);
  }

  bool eval_field(const Value& dot, const std::string& name, const Arg& node, const Command* cmd,
                  const std::optional<Value>& final, const Value& receiver, Value* out) {
    if (!receiver.is_valid()) {
      if (opts_.missing_key == MissingKey::kError) return errorf("nil data; no entry for key " + go_quote(name));
      *out = Value();
      return true;
    }
    if (receiver.kind() == ValueKind::kNil) return errorf("nil pointer evaluating interface {}." + name);
    bool has_args = (cmd && cmd->args.size() > 1) || final.has_value();
    if (receiver.kind() == ValueKind::kStruct) {
      if (const Value* f = receiver.find(name)) {
        if (f->kind() == ValueKind::kFunction && f->is_method()) {
          return call_native(dot, *f, name, node, cmd, final, out);
        }
        if (has_args) return errorf(name + " has arguments but cannot be invoked as function");
        *out = *f;
        return true;
      }
    } else if (receiver.kind() == ValueKind::kMap) {
      if (has_args) return errorf(name + " is not a method but has arguments");
      if (const Value* f = receiver.find(name)) {
        *out = *f;
        return true;
      }
      switch (opts_.missing_key) {
        case MissingKey::kInvalid: *out = Value(); return true;
        case MissingKey::kZero: *out = Value::nil(); return true;
        case MissingKey::kError: return errorf("map has no entry for key " + go_quote(name));
      }
    }
    return errorf("can't evaluate field " + name + " in type " + receiver.type_name());
  }

  // Evaluates an argument of a function call. Arguments that evaluate to nothing become nil,
  // as Go converts an invalid value for an interface parameter.
  bool eval_arg(const Value& dot, const Arg& a, Value* out, bool to_nil = true) {
    at(a);
    bool ok = true;
    switch (a.type) {
      case ArgType::kDot: *out = dot; break;
      case ArgType::kNil: *out = Value::nil(); break;
      case ArgType::kField: ok = eval_field_chain(dot, dot, a, a.idents, 0, nullptr, std::nullopt, out); break;
      case ArgType::kVariable: ok = eval_variable(dot, a, nullptr, std::nullopt, out); break;
      case ArgType::kPipe: ok = eval_nested_pipeline(dot, *a.pipe, out); break;
      case ArgType::kIdentifier: ok = eval_function(dot, a, nullptr, std::nullopt, out); break;
      case ArgType::kChain: ok = eval_chain(dot, a, nullptr, std::nullopt, out); break;
      case ArgType::kBool:
      case ArgType::kNumber:
      case ArgType::kString: *out = a.constant; break;
    }
    if (ok && to_nil && !out->is_valid()) *out = Value::nil();
    return ok;
  }

  bool eval_function(const Value& dot, const Arg& ident, const Command* cmd, const std::optional<Value>& final,
                     Value* out) {
    at(ident);
    const std::string& name = ident.idents[0];
    if (funcs_) {
      auto it = funcs_->find(name);
      if (it != funcs_->end()) {
        Value fn = Value::function(name, it->second);
        return call_native(dot, fn, name, ident, cmd, final, out);
      }
    }
    const Builtin* b = find_builtin(name);
    if (!b) return errorf(go_quote(name) + " is not a defined function");
    size_t nargs = (cmd ? cmd->args.size() - 1 : 0) + (final ? 1 : 0);
    if (b->max_args < 0) {
      if (static_cast<int>(nargs) < b->min_args) {
        return errorf("wrong number of args for " + name + ": want at least " + std::to_string(b->min_args) +
                      " got " + std::to_string(nargs));
      }
    } else if (static_cast<int>(nargs) != b->max_args) {
      return errorf("wrong number of args for " + name + ": want " + std::to_string(b->max_args) + " got " +
                    std::to_string(nargs));
    }
    if (name == "and" || name == "or") {
      bool want = name == "or";
      Value v;
      if (cmd) {
        for (size_t i = 1; i < cmd->args.size(); ++i) {
          if (!eval_arg(dot, cmd->args[i], &v)) return false;
          if (value_truth(v) == want) {
            *out = v;
            return true;
          }
        }
      }
      if (final) v = *final;
      *out = v;
      return true;
    }
    std::vector<Value> args;
    if (name == "call") {
      // call's first argument is the callee; Go names it in messages by its source text.
      args.push_back(Value::string(cmd && cmd->args.size() > 1 ? arg_string(cmd->args[1]) : std::string("final")));
    }
    if (cmd) {
      for (size_t i = 1; i < cmd->args.size(); ++i) {
        Value v;
        if (!eval_arg(dot, cmd->args[i], &v)) return false;
        args.push_back(std::move(v));
      }
    }
    if (final) args.push_back(final->is_valid() ? *final : Value::nil());
    if (cmd) at(*cmd);
    Result<Value> r = b->fn(args, opts_.max_output_bytes);
    if (!r.ok()) return errorf("error calling " + name + ": " + r.status().message());
    *out = std::move(r).value();
    return true;
  }

  bool call_native(const Value& dot, const Value& fn, const std::string& name, const Arg& node,
                   const Command* cmd, const std::optional<Value>& final, Value* out) {
    std::vector<Value> args;
    if (cmd) {
      for (size_t i = 1; i < cmd->args.size(); ++i) {
        Value v;
        if (!eval_arg(dot, cmd->args[i], &v)) return false;
        args.push_back(std::move(v));
      }
    }
    if (final) args.push_back(final->is_valid() ? *final : Value::nil());
    if (cmd) at(*cmd);
    else at(node);
    if (!fn.function()) return errorf("call of nil function " + name);
    Result<Value> r = fn.function()(args);
    if (!r.ok()) return errorf("error calling " + name + ": " + r.status().message());
    if (r->kind() == ValueKind::kString && r->as_string().size() > opts_.max_output_bytes) {
      return errorf("result of " + name + " exceeds the output limit");
    }
    *out = std::move(r).value();
    return true;
  }

  const TreeSet& set_;
  const FuncMap* funcs_;
  const ExecOptions& opts_;
  std::string* out_;
  std::vector<std::pair<std::string, Value>> vars_;
  std::string tmpl_name_;
  At at_;
  Status status_;
  uint64_t steps_ = 0;
  int depth_ = 0;
  int nesting_ = 0;
};

// ---- tree utilities for Ollama ------------------------------------------------------------

void collect_arg(const Arg& a, std::vector<std::string>& out);

void collect_pipe(const Pipe& p, std::vector<std::string>& out) {
  for (const Command& c : p.cmds) {
    for (const Arg& a : c.args) collect_arg(a, out);
  }
}

void collect_arg(const Arg& a, std::vector<std::string>& out) {
  switch (a.type) {
    case ArgType::kField:
    case ArgType::kVariable:
      for (const auto& s : a.idents) out.push_back(s);
      break;
    default:
      break;  // Go's Identifiers() does not descend into parentheses or chains
  }
}

void collect_list(const std::vector<Node>& list, std::vector<std::string>& out) {
  for (const Node& n : list) {
    switch (n.type) {
      case NodeType::kAction:
      case NodeType::kTemplate:
        if (n.pipe) collect_pipe(*n.pipe, out);
        break;
      case NodeType::kIf:
      case NodeType::kRange:
      case NodeType::kWith:
        if (n.pipe) collect_pipe(*n.pipe, out);
        collect_list(n.list, out);
        collect_list(n.else_list, out);
        break;
      default:
        break;
    }
  }
}

// Ollama's deleteNode with the "cut after field" predicate: walks in document order; the node
// holding the field stays, everything visited afterwards goes.
class Cutter {
 public:
  explicit Cutter(std::string_view field) : field_(field) {}

  // Returns false when `list` itself is to be dropped.
  void list(std::vector<Node>& nodes) {
    std::vector<Node> kept;
    for (Node& n : nodes) {
      if (cut_) continue;
      if (node(n)) kept.push_back(std::move(n));
    }
    nodes = std::move(kept);
  }

 private:
  bool node(Node& n) {
    switch (n.type) {
      case NodeType::kIf:
      case NodeType::kRange:
      case NodeType::kWith:
        list(n.list);
        if (n.has_else) list(n.else_list);
        return true;
      case NodeType::kAction: {
        if (!n.pipe) return true;
        auto p = std::make_shared<Pipe>(*n.pipe);
        if (!pipe(*p)) return false;
        n.pipe = std::move(p);
        return true;
      }
      default:
        return true;
    }
  }
  bool pipe(Pipe& p) {
    std::vector<Command> cmds;
    for (Command& c : p.cmds) {
      if (cut_) return cmds.empty() ? false : (p.cmds = std::move(cmds), true);
      std::vector<Arg> args;
      for (Arg& a : c.args) {
        if (cut_) break;
        if (a.type == ArgType::kField && std::find(a.idents.begin(), a.idents.end(), field_) != a.idents.end()) {
          cut_ = true;
        }
        args.push_back(a);
      }
      if (args.empty()) return false;
      c.args = std::move(args);
      cmds.push_back(std::move(c));
    }
    if (cmds.empty()) return false;
    p.cmds = std::move(cmds);
    return true;
  }

  std::string_view field_;
  bool cut_ = false;
};

}  // namespace

bool is_builtin_function(std::string_view name) { return find_builtin(name) != nullptr; }

Result<Template> Template::parse(std::string_view text, std::string name, std::shared_ptr<const FuncMap> funcs) {
  ParseConfig cfg;
  cfg.name = name;
  const FuncMap* fm = funcs.get();
  cfg.has_function = [fm](std::string_view fn) {
    return is_builtin_function(fn) || (fm && fm->find(fn) != fm->end());
  };
  CORRAL_ASSIGN_OR_RETURN(auto set, parse_template(text, cfg));
  Template t;
  t.trees_ = std::move(set);
  t.funcs_ = std::move(funcs);
  return t;
}

Result<std::string> Template::execute(const Value& data, const ExecOptions& opts) const {
  if (!trees_) return invalid_argument("template: execute of an empty template");
  return execute_template(trees_->name, data, opts);
}

Result<std::string> Template::execute_template(std::string_view name, const Value& data,
                                               const ExecOptions& opts) const {
  if (!trees_) return invalid_argument("template: execute of an empty template");
  std::string out;
  Executor ex(*trees_, funcs_.get(), opts, &out);
  CORRAL_TRY(ex.run(name, data));
  return out;
}

const std::string& Template::name() const {
  static const std::string kEmpty;
  return trees_ ? trees_->name : kEmpty;
}

const std::string& Template::source() const {
  static const std::string kEmpty;
  return trees_ ? trees_->text : kEmpty;
}

bool Template::has_template(std::string_view name) const {
  return trees_ && trees_->trees.find(name) != trees_->trees.end();
}

std::vector<std::string> Template::identifiers() const {
  std::vector<std::string> ids;
  if (!trees_) return ids;
  for (const auto& [n, list] : trees_->trees) collect_list(list, ids);
  std::set<std::string> uniq;
  for (auto& s : ids) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    uniq.insert(s);
  }
  return {uniq.begin(), uniq.end()};
}

Template Template::cut_after_field(std::string_view field) const {
  if (!trees_) return *this;
  auto set = std::make_shared<TreeSet>(*trees_);
  auto it = set->trees.find(set->name);
  if (it != set->trees.end()) Cutter(field).list(it->second);
  Template t;
  t.trees_ = std::move(set);
  t.funcs_ = funcs_;
  return t;
}

Template Template::with_field_appended(std::string_view field) const {
  if (!trees_) return *this;
  auto set = std::make_shared<TreeSet>(*trees_);
  Node n;
  n.type = NodeType::kAction;
  n.pos = set->text.size();
  auto pipe = std::make_shared<Pipe>();
  pipe->pos = n.pos;
  Command c;
  c.pos = n.pos;
  Arg a;
  a.type = ArgType::kField;
  a.pos = n.pos;
  a.idents = {std::string(field)};
  c.args.push_back(std::move(a));
  pipe->cmds.push_back(std::move(c));
  n.pipe = std::move(pipe);
  set->trees[set->name].push_back(std::move(n));
  Template t;
  t.trees_ = std::move(set);
  t.funcs_ = funcs_;
  return t;
}

}  // namespace corral::tmpl
