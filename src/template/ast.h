// Parse tree of a Go text/template: the node kinds Go's text/template/parse defines (text,
// action, if, range, with, template, break, continue; pipelines, commands and operands) with
// byte positions for error messages, plus Go's String() rendering of nodes.
// Depends only on value.h (literal operands hold their constant value).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "template/value.h"

namespace corral::tmpl {

struct Pipe;

enum class ArgType : uint8_t { kBool, kNumber, kString, kNil, kDot, kField, kVariable, kIdentifier, kPipe, kChain };

// An operand of a command.
struct Arg {
  ArgType type = ArgType::kNil;
  size_t pos = 0;
  std::string text;                 // source text of literals (numbers, strings) for String()
  Value constant;                   // bool, number (int or float by Go's ideal-constant rule), string
  std::vector<std::string> idents;  // kField: {"A","B"}; kVariable: {"$x","A"}; kIdentifier: {"f"};
                                    // kChain: the field names applied to `base`
  std::shared_ptr<Pipe> pipe;       // kPipe (parenthesized pipeline)
  std::shared_ptr<Arg> base;        // kChain: the operand the fields apply to
};

struct Command {
  size_t pos = 0;
  std::vector<Arg> args;
};

struct Pipe {
  size_t pos = 0;
  bool is_assign = false;         // `$x = ...` rather than `$x := ...`
  std::vector<std::string> decl;  // declared or assigned variables
  std::vector<Command> cmds;
};

enum class NodeType : uint8_t { kText, kAction, kIf, kRange, kWith, kTemplate, kBreak, kContinue };

struct Node {
  NodeType type = NodeType::kText;
  size_t pos = 0;
  std::string text;            // kText
  std::shared_ptr<Pipe> pipe;  // kAction, kIf, kRange, kWith, kTemplate (may be null for template)
  std::vector<Node> list;      // body of if/range/with
  std::vector<Node> else_list;
  bool has_else = false;
  std::string name;  // kTemplate
};

// A parsed template and the templates it defines ({{define}}, {{block}}), by name.
struct TreeSet {
  std::string text;  // the source, for line/column of errors
  std::string name;  // name of the main template
  std::map<std::string, std::vector<Node>, std::less<>> trees;
};

// Go's String() of parse nodes (used in "executing ... at <...>" error contexts).
std::string arg_string(const Arg& a);
std::string command_string(const Command& c);
std::string pipe_string(const Pipe& p);

}  // namespace corral::tmpl
