#include "template/parser.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "template/go_fmt.h"
#include "template/go_literals.h"
#include "template/lexer.h"

namespace corral::tmpl {

std::string line_col(std::string_view text, size_t pos) {
  pos = std::min(pos, text.size());
  size_t line = 1 + static_cast<size_t>(
                        std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
  size_t nl = text.rfind('\n', pos == 0 ? std::string_view::npos : pos - 1);
  size_t col = (pos == 0 || nl == std::string_view::npos) ? pos : pos - nl - 1;
  return std::to_string(line) + ":" + std::to_string(col);
}

namespace {

class Parser {
 public:
  Parser(std::string_view text, const ParseConfig& cfg) : text_(text), cfg_(cfg) {}

  Result<std::shared_ptr<TreeSet>> run() {
    tokens_ = lex_template(text_);
    set_ = std::make_shared<TreeSet>();
    set_->text = std::string(text_);
    set_->name = cfg_.name;
    std::vector<Node> root;
    vars_ = {"$"};
    while (peek().type != Tok::kEof) {
      if (!ok()) return status_;
      if (peek().type == Tok::kLeftDelim) {
        size_t mark = idx_;
        next();
        if (next_non_space().type == Tok::kDefine) {
          parse_definition();
          if (!ok()) return status_;
          continue;
        }
        idx_ = mark;
      }
      Node n;
      Kind k = text_or_action(&n);
      if (!ok()) return status_;
      if (k == Kind::kEnd || k == Kind::kElse) {
        fail(n.pos, k == Kind::kEnd ? "unexpected {{end}}" : "unexpected {{else}}");
        return status_;
      }
      if (k == Kind::kNode) root.push_back(std::move(n));
    }
    if (!ok()) return status_;
    add_tree(cfg_.name, std::move(root), 0);
    if (!ok()) return status_;
    return set_;
  }

 private:
  enum class Kind { kNode, kNone, kEnd, kElse };

  bool ok() const { return status_.ok(); }
  void fail(size_t pos, const std::string& msg) {
    if (!ok()) return;
    status_ =
        invalid_argument("template: %s:%s: %s", cfg_.name.c_str(), line_col(text_, pos).c_str(), msg.c_str());
    failed_ = true;
  }

  // Token stream. After an error every read returns an EOF token so loops terminate.
  const Token& next() {
    if (failed_ || idx_ >= tokens_.size()) return eof_;
    const Token& t = tokens_[idx_++];
    if (t.type == Tok::kError) {
      fail(t.pos, t.text);
      return eof_;
    }
    return t;
  }
  const Token& peek() {
    if (failed_ || idx_ >= tokens_.size()) return eof_;
    if (tokens_[idx_].type == Tok::kError) {
      fail(tokens_[idx_].pos, tokens_[idx_].text);
      return eof_;
    }
    return tokens_[idx_];
  }
  void backup() {
    if (!failed_ && idx_ > 0) --idx_;
  }
  const Token& next_non_space() {
    while (true) {
      const Token& t = next();
      if (t.type != Tok::kSpace) return t;
    }
  }
  const Token& peek_non_space() {
    const Token& t = next_non_space();
    if (&t != &eof_) backup();
    return t;
  }
  void unexpected(const Token& t, const std::string& context) {
    if (!ok()) return;
    fail(t.pos, "unexpected " + describe_token(t) + " in " + context);
  }
  const Token& expect(Tok type, const std::string& context) {
    const Token& t = next_non_space();
    if (t.type != type) unexpected(t, context);
    return t;
  }

  bool enter(size_t pos) {
    if (++depth_ > cfg_.max_nesting) {
      fail(pos, "template nesting too deep (limit " + std::to_string(cfg_.max_nesting) + ")");
      return false;
    }
    return true;
  }
  void leave() { --depth_; }

  void add_tree(const std::string& name, std::vector<Node> root, size_t pos) {
    auto it = set_->trees.find(name);
    if (it == set_->trees.end() || is_empty_tree(it->second)) {
      set_->trees[name] = std::move(root);
      return;
    }
    if (!is_empty_tree(root)) fail(pos, "template: multiple definition of template " + go_quote(name));
  }

  static bool is_empty_tree(const std::vector<Node>& list) {
    for (const Node& n : list) {
      if (n.type != NodeType::kText) return false;
      for (char c : n.text) {
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
      }
    }
    return true;
  }

  void parse_definition() {
    const Token& name_tok = next_non_space();
    if (name_tok.type != Tok::kString && name_tok.type != Tok::kRawString) {
      unexpected(name_tok, "define clause");
      return;
    }
    std::string name;
    if (!go_unquote(name_tok.text, &name)) {
      fail(name_tok.pos, "invalid syntax");
      return;
    }
    expect(Tok::kRightDelim, "define clause");
    if (!ok()) return;
    std::vector<std::string> saved_vars = std::move(vars_);
    int saved_range = range_depth_;
    vars_ = {"$"};
    range_depth_ = 0;
    std::vector<Node> list;
    Node end;
    Kind k = item_list(&list, &end);
    vars_ = std::move(saved_vars);
    range_depth_ = saved_range;
    if (!ok()) return;
    if (k != Kind::kEnd) {
      fail(end.pos, "unexpected {{else}} in define clause");
      return;
    }
    add_tree(name, std::move(list), name_tok.pos);
  }

  // Parses nodes until {{end}} or {{else}}; returns which one (kEnd/kElse), position in *term.
  Kind item_list(std::vector<Node>* list, Node* term) {
    while (peek_non_space().type != Tok::kEof) {
      if (!ok()) return Kind::kNone;
      Node n;
      Kind k = text_or_action(&n);
      if (!ok()) return Kind::kNone;
      if (k == Kind::kEnd || k == Kind::kElse) {
        *term = std::move(n);
        return k;
      }
      if (k == Kind::kNode) list->push_back(std::move(n));
    }
    if (ok()) fail(text_.size(), "unexpected EOF");
    return Kind::kNone;
  }

  Kind text_or_action(Node* n) {
    const Token& t = next_non_space();
    switch (t.type) {
      case Tok::kText:
        n->type = NodeType::kText;
        n->pos = t.pos;
        n->text = t.text;
        return Kind::kNode;
      case Tok::kLeftDelim:
        return action(n);
      default:
        unexpected(t, "input");
        return Kind::kNone;
    }
  }

  Kind action(Node* n) {
    const Token& t = next_non_space();
    n->pos = t.pos;
    switch (t.type) {
      case Tok::kBlock:
        return block_control(n, t.pos);
      case Tok::kBreak:
      case Tok::kContinue: {
        bool is_break = t.type == Tok::kBreak;
        const Token& close = next_non_space();
        if (close.type != Tok::kRightDelim) {
          unexpected(close, is_break ? "{{break}}" : "{{continue}}");
          return Kind::kNone;
        }
        if (range_depth_ == 0) {
          fail(t.pos, is_break ? "{{break}} outside {{range}}" : "{{continue}} outside {{range}}");
          return Kind::kNone;
        }
        n->type = is_break ? NodeType::kBreak : NodeType::kContinue;
        return Kind::kNode;
      }
      case Tok::kElse: {
        const Token& p = peek_non_space();
        if (p.type == Tok::kIf || p.type == Tok::kWith) {
          n->pos = p.pos;
          return Kind::kElse;
        }
        const Token& close = expect(Tok::kRightDelim, "else");
        n->pos = close.pos;
        return ok() ? Kind::kElse : Kind::kNone;
      }
      case Tok::kEnd:
        expect(Tok::kRightDelim, "end");
        return ok() ? Kind::kEnd : Kind::kNone;
      case Tok::kIf:
        return control(n, NodeType::kIf, "if");
      case Tok::kRange:
        return control(n, NodeType::kRange, "range");
      case Tok::kWith:
        return control(n, NodeType::kWith, "with");
      case Tok::kTemplate:
        return template_control(n, t.pos);
      default:
        break;
    }
    backup();
    n->type = NodeType::kAction;
    n->pos = peek().pos;
    n->pipe = pipeline("command", Tok::kRightDelim);
    return ok() ? Kind::kNode : Kind::kNone;
  }

  Kind control(Node* n, NodeType type, const char* context) {
    if (!enter(n->pos)) return Kind::kNone;
    size_t saved_vars = vars_.size();
    n->type = type;
    n->pipe = pipeline(context, Tok::kRightDelim);
    if (!ok()) return Kind::kNone;
    if (type == NodeType::kRange) ++range_depth_;
    Node term;
    Kind k = item_list(&n->list, &term);
    if (type == NodeType::kRange) --range_depth_;
    if (!ok()) return Kind::kNone;
    if (k == Kind::kElse) {
      n->has_else = true;
      const Token& p = peek();
      if ((type == NodeType::kIf && p.type == Tok::kIf) ||
          (type == NodeType::kWith && p.type == Tok::kWith)) {
        // {{else if ...}} / {{else with ...}}: a nested control that consumes the final {{end}}.
        next();
        Node inner;
        inner.pos = term.pos;
        if (control(&inner, type, context) != Kind::kNode) return Kind::kNone;
        n->else_list.push_back(std::move(inner));
      } else {
        Node end;
        Kind k2 = item_list(&n->else_list, &end);
        if (!ok()) return Kind::kNone;
        if (k2 != Kind::kEnd) {
          fail(end.pos, "expected end; found {{else}}");
          return Kind::kNone;
        }
      }
    }
    vars_.resize(saved_vars);
    leave();
    return Kind::kNode;
  }

  std::string template_name(const Token& t, const char* context) {
    if (t.type != Tok::kString && t.type != Tok::kRawString) {
      unexpected(t, context);
      return {};
    }
    std::string name;
    if (!go_unquote(t.text, &name)) fail(t.pos, "invalid syntax");
    return name;
  }

  Kind template_control(Node* n, size_t pos) {
    const Token& t = next_non_space();
    std::string name = template_name(t, "template clause");
    if (!ok()) return Kind::kNone;
    n->type = NodeType::kTemplate;
    n->pos = pos;
    n->name = name;
    if (next_non_space().type != Tok::kRightDelim) {
      backup();
      n->pipe = pipeline("template clause", Tok::kRightDelim);
    }
    return ok() ? Kind::kNode : Kind::kNone;
  }

  Kind block_control(Node* n, size_t pos) {
    const Token& t = next_non_space();
    std::string name = template_name(t, "block clause");
    if (!ok()) return Kind::kNone;
    n->type = NodeType::kTemplate;
    n->pos = pos;
    n->name = name;
    n->pipe = pipeline("block clause", Tok::kRightDelim);
    if (!ok()) return Kind::kNone;
    if (!enter(pos)) return Kind::kNone;
    std::vector<std::string> saved_vars = std::move(vars_);
    int saved_range = range_depth_;
    vars_ = {"$"};
    range_depth_ = 0;
    std::vector<Node> list;
    Node end;
    Kind k = item_list(&list, &end);
    vars_ = std::move(saved_vars);
    range_depth_ = saved_range;
    leave();
    if (!ok()) return Kind::kNone;
    if (k != Kind::kEnd) {
      fail(end.pos, "unexpected {{else}} in block clause");
      return Kind::kNone;
    }
    add_tree(name, std::move(list), t.pos);
    return ok() ? Kind::kNode : Kind::kNone;
  }

  std::shared_ptr<Pipe> pipeline(const std::string& context, Tok end) {
    auto pipe = std::make_shared<Pipe>();
    pipe->pos = peek_non_space().pos;
  decls:
    if (!ok()) return pipe;
    if (const Token& v = peek_non_space(); v.type == Tok::kVariable) {
      size_t var_idx = idx_;
      next_non_space();
      const Token& nxt = peek_non_space();
      if (nxt.type == Tok::kAssign || nxt.type == Tok::kDeclare) {
        pipe->is_assign = nxt.type == Tok::kAssign;
        next_non_space();
        pipe->decl.push_back(v.text);
        vars_.push_back(v.text);
      } else if (nxt.type == Tok::kChar && nxt.text == ",") {
        next_non_space();
        pipe->decl.push_back(v.text);
        vars_.push_back(v.text);
        if (context == "range" && pipe->decl.size() < 2) {
          Tok p = peek_non_space().type;
          if (p == Tok::kVariable || p == Tok::kRightDelim || p == Tok::kRightParen) goto decls;
          fail(nxt.pos, "range can only initialize variables");
          return pipe;
        }
        fail(nxt.pos, "too many declarations in " + context);
        return pipe;
      } else {
        idx_ = var_idx;  // not a declaration: reparse the variable as an operand
      }
    }
    while (ok()) {
      const Token& t = next_non_space();
      if (t.type == end) {
        check_pipeline(*pipe, context, t.pos);
        return pipe;
      }
      switch (t.type) {
        case Tok::kBool:
        case Tok::kCharConstant:
        case Tok::kComplex:
        case Tok::kDot:
        case Tok::kField:
        case Tok::kIdentifier:
        case Tok::kNumber:
        case Tok::kNil:
        case Tok::kRawString:
        case Tok::kString:
        case Tok::kVariable:
        case Tok::kLeftParen:
          backup();
          pipe->cmds.push_back(command());
          break;
        default:
          unexpected(t, context);
          return pipe;
      }
    }
    return pipe;
  }

  void check_pipeline(const Pipe& pipe, const std::string& context, size_t pos) {
    if (pipe.cmds.empty()) {
      fail(pos, "missing value for " + context);
      return;
    }
    for (size_t i = 1; i < pipe.cmds.size(); ++i) {
      switch (pipe.cmds[i].args[0].type) {
        case ArgType::kBool:
        case ArgType::kDot:
        case ArgType::kNil:
        case ArgType::kNumber:
        case ArgType::kString:
          fail(pipe.cmds[i].pos, "non executable command in pipeline stage " + std::to_string(i + 1));
          return;
        default:
          break;
      }
    }
  }

  Command command() {
    Command cmd;
    cmd.pos = peek_non_space().pos;
    while (ok()) {
      peek_non_space();
      Arg a;
      if (operand(&a)) cmd.args.push_back(std::move(a));
      if (!ok()) break;
      const Token& t = next();
      if (t.type == Tok::kSpace) continue;
      if (t.type == Tok::kRightDelim || t.type == Tok::kRightParen) {
        backup();
      } else if (t.type != Tok::kPipe) {
        unexpected(t, "operand");
      }
      break;
    }
    if (ok() && cmd.args.empty()) fail(cmd.pos, "empty command");
    return cmd;
  }

  bool operand(Arg* out) {
    if (!term(out)) return false;
    if (peek().type == Tok::kField) {
      std::vector<std::string> fields;
      size_t pos = peek().pos;
      while (peek().type == Tok::kField) fields.push_back(next().text.substr(1));
      switch (out->type) {
        case ArgType::kField:
        case ArgType::kVariable:
          for (auto& f : fields) out->idents.push_back(std::move(f));
          break;
        case ArgType::kBool:
        case ArgType::kString:
        case ArgType::kNumber:
        case ArgType::kNil:
        case ArgType::kDot:
          fail(pos, "unexpected . after term " + go_quote(arg_string(*out)));
          return false;
        default: {
          Arg chain;
          chain.type = ArgType::kChain;
          chain.pos = pos;
          chain.base = std::make_shared<Arg>(std::move(*out));
          chain.idents = std::move(fields);
          *out = std::move(chain);
        }
      }
    }
    return true;
  }

  bool term(Arg* a) {
    const Token& t = next_non_space();
    a->pos = t.pos;
    switch (t.type) {
      case Tok::kIdentifier:
        if (cfg_.has_function && !cfg_.has_function(t.text)) {
          fail(t.pos, "function " + go_quote(t.text) + " not defined");
          return false;
        }
        a->type = ArgType::kIdentifier;
        a->idents = {t.text};
        return true;
      case Tok::kDot:
        a->type = ArgType::kDot;
        return true;
      case Tok::kNil:
        a->type = ArgType::kNil;
        return true;
      case Tok::kVariable: {
        a->type = ArgType::kVariable;
        a->idents = {t.text};
        if (std::find(vars_.begin(), vars_.end(), t.text) == vars_.end()) {
          fail(t.pos, "undefined variable " + go_quote(t.text));
          return false;
        }
        return true;
      }
      case Tok::kField: {
        a->type = ArgType::kField;
        a->idents = {t.text.substr(1)};
        return true;
      }
      case Tok::kBool:
        a->type = ArgType::kBool;
        a->text = t.text;
        a->constant = Value::boolean(t.text == "true");
        return true;
      case Tok::kCharConstant:
      case Tok::kComplex:
      case Tok::kNumber:
        return number(t, a);
      case Tok::kLeftParen: {
        if (!enter(t.pos)) return false;
        a->type = ArgType::kPipe;
        a->pipe = pipeline("parenthesized pipeline", Tok::kRightParen);
        leave();
        return ok();
      }
      case Tok::kString:
      case Tok::kRawString: {
        std::string s;
        if (!go_unquote(t.text, &s)) {
          fail(t.pos, "invalid syntax");
          return false;
        }
        a->type = ArgType::kString;
        a->text = t.text;
        a->constant = Value::string(std::move(s));
        return true;
      }
      default:
        backup();
        return false;
    }
  }

  bool number(const Token& t, Arg* a) {
    a->type = ArgType::kNumber;
    a->text = t.text;
    std::string_view text = t.text;
    if (t.type == Tok::kCharConstant) {
      std::string s;
      if (!go_unquote(text, &s)) {
        fail(t.pos, "malformed character constant: " + t.text);
        return false;
      }
      size_t sz = 1;
      char32_t r = decode_rune(s, 0, &sz);
      if (sz != s.size()) r = static_cast<unsigned char>(s[0]);  // \xHH escapes are bytes
      a->constant = Value::integer(static_cast<int64_t>(r));
      return true;
    }
    if (t.type == Tok::kComplex || (!text.empty() && text.back() == 'i')) {
      fail(t.pos, "complex constants are not supported: " + go_quote(text));
      return false;
    }
    bool neg = !text.empty() && text[0] == '-';
    std::string_view body = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? text.substr(1) : text;
    uint64_t u = 0;
    bool overflow = false;
    if (parse_uint_base0(body, &u, &overflow)) {
      if (neg ? u <= static_cast<uint64_t>(INT64_MAX) + 1 : u <= static_cast<uint64_t>(INT64_MAX)) {
        int64_t i = neg ? static_cast<int64_t>(0 - u) : static_cast<int64_t>(u);
        a->constant = Value::integer(i);
        return true;
      }
      if (!neg) {
        fail(t.pos, t.text + " overflows int");  // Go reports this when executing
        return false;
      }
    }
    double f = 0;
    if (parse_go_float(text, &f)) {
      bool hex_int = body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') &&
                     body.find_first_of("pP") == std::string_view::npos;
      if (text.find_first_of(".eEpP") == std::string_view::npos || hex_int) {
        fail(t.pos, "integer overflow: " + go_quote(text));
        return false;
      }
      a->constant = Value::number(f);
      return true;
    }
    fail(t.pos, "illegal number syntax: " + go_quote(text));
    return false;
  }

  std::string_view text_;
  const ParseConfig& cfg_;
  std::vector<Token> tokens_;
  size_t idx_ = 0;
  Token eof_{Tok::kEof, 0, ""};
  std::shared_ptr<TreeSet> set_;
  std::vector<std::string> vars_;
  int range_depth_ = 0;
  int depth_ = 0;
  Status status_;
  bool failed_ = false;
};

}  // namespace

Result<std::shared_ptr<TreeSet>> parse_template(std::string_view text, const ParseConfig& config) {
  Parser p(text, config);
  return p.run();
}

// ---- String() of nodes ----------------------------------------------------------------------

std::string arg_string(const Arg& a) {
  switch (a.type) {
    case ArgType::kBool:
      return a.constant.as_bool() ? "true" : "false";
    case ArgType::kNumber:
    case ArgType::kString:
      return a.text;
    case ArgType::kNil:
      return "nil";
    case ArgType::kDot:
      return ".";
    case ArgType::kField: {
      std::string s;
      for (const auto& f : a.idents) s += "." + f;
      return s;
    }
    case ArgType::kVariable: {
      std::string s;
      for (size_t i = 0; i < a.idents.size(); ++i) {
        if (i > 0) s += ".";
        s += a.idents[i];
      }
      return s;
    }
    case ArgType::kIdentifier:
      return a.idents.empty() ? "" : a.idents[0];
    case ArgType::kPipe:
      return a.pipe ? "(" + pipe_string(*a.pipe) + ")" : "()";
    case ArgType::kChain: {
      std::string s = a.base ? arg_string(*a.base) : "";
      if (a.base && a.base->type == ArgType::kPipe) {
        // already parenthesized
      }
      for (const auto& f : a.idents) s += "." + f;
      return s;
    }
  }
  return "";
}

std::string command_string(const Command& c) {
  std::string s;
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (i > 0) s += " ";
    s += arg_string(c.args[i]);
  }
  return s;
}

std::string pipe_string(const Pipe& p) {
  std::string s;
  if (!p.decl.empty()) {
    for (size_t i = 0; i < p.decl.size(); ++i) {
      if (i > 0) s += ", ";
      s += p.decl[i];
    }
    s += p.is_assign ? " = " : " := ";
  }
  for (size_t i = 0; i < p.cmds.size(); ++i) {
    if (i > 0) s += " | ";
    s += command_string(p.cmds[i]);
  }
  return s;
}

}  // namespace corral::tmpl
