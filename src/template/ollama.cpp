#include "template/ollama.h"

#include <algorithm>
#include <ctime>
#include <map>

#include "template/json_out.h"

namespace corral::tmpl {
namespace {

Status arity(std::string_view fn, size_t want, size_t got) {
  return invalid_argument("wrong number of args for %.*s: want %zu got %zu", static_cast<int>(fn.size()), fn.data(),
                          want, got);
}

// Recursively sorts object keys, as Go's json.Marshal does for maps.
Json go_sorted(const Json& j) {
  if (j.is_object()) {
    std::vector<std::string> keys;
    for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
    std::sort(keys.begin(), keys.end());
    Json o = Json::object();
    for (const auto& k : keys) o[k] = go_sorted(j.at(k));
    return o;
  }
  if (j.is_array()) {
    Json a = Json::array();
    for (const auto& e : j) a.push_back(go_sorted(e));
    return a;
  }
  return j;
}

const Json* member(const Json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string str_member(const Json& j, const char* key) {
  const Json* m = member(j, key);
  return m && m->is_string() ? m->get<std::string>() : std::string();
}

// A Go-JSON-backed value: shows `src` to tojson, `go` to json and printing.
Value backed(Value v, const Json& src, Json go) {
  return v.with_source_json(std::make_shared<const Json>(src), std::make_shared<const Json>(std::move(go)));
}

Value property_value(const Json& p, Json* go_out) {
  Json go = Json::object();
  Value type;
  if (const Json* t = member(p, "type")) {
    if (t->is_string()) {
      type = Value::string(t->get<std::string>());
      go["type"] = *t;
    } else if (t->is_array()) {
      std::vector<Value> ts;
      for (const auto& e : *t) ts.push_back(Value::string(e.is_string() ? e.get<std::string>() : e.dump()));
      type = ts.size() == 1 ? ts[0] : Value::list(std::move(ts), "api.PropertyType");
      if (!t->empty()) go["type"] = t->size() == 1 ? (*t)[0] : *t;
    }
  }
  if (!type.is_valid()) type = Value::string("");
  Value items = Value::nil();
  if (const Json* it = member(p, "items"); it && !it->is_null()) {
    items = Value::from_json(*it);
    go["items"] = go_sorted(*it);
  }
  std::string desc = str_member(p, "description");
  if (!desc.empty()) go["description"] = desc;
  std::vector<Value> enums;
  if (const Json* e = member(p, "enum"); e && e->is_array()) {
    for (const auto& x : *e) enums.push_back(Value::from_json(x));
    if (!e->empty()) go["enum"] = go_sorted(*e);
  }
  *go_out = go;
  Value v = Value::structure("api.ToolProperty", {{"Type", type},
                                                   {"Items", items},
                                                   {"Description", Value::string(desc)},
                                                   {"Enum", Value::list(std::move(enums))}});
  return backed(v, p, go);
}

Value tool_value(const Json& tool) {
  const Json empty = Json::object();
  const Json* fn = member(tool, "function");
  if (!fn) fn = &empty;
  const Json* params = member(*fn, "parameters");
  if (!params) params = &empty;

  std::map<std::string, Json> sorted_props_go;  // a Go map: sorted keys, struct values in field order
  std::vector<Value::Entry> props;
  if (const Json* ps = member(*params, "properties"); ps && ps->is_object()) {
    for (auto it = ps->begin(); it != ps->end(); ++it) {
      Json pgo;
      props.emplace_back(it.key(), property_value(it.value(), &pgo));
      sorted_props_go[it.key()] = pgo;
    }
  }
  Json props_go = Json::object();
  for (auto& [k, v] : sorted_props_go) props_go[k] = std::move(v);
  Value properties = backed(Value::map(std::move(props), "map[string]api.ToolProperty").with_stringer(Stringer::kGoJson),
                            member(*params, "properties") ? *member(*params, "properties") : Json::object(), props_go);

  std::vector<Value> required;
  Json params_go = Json::object();
  params_go["type"] = str_member(*params, "type");
  if (const Json* d = member(*params, "$defs"); d && !d->is_null()) params_go["$defs"] = go_sorted(*d);
  if (const Json* it = member(*params, "items"); it && !it->is_null()) params_go["items"] = go_sorted(*it);
  if (const Json* r = member(*params, "required"); r && r->is_array()) {
    for (const auto& x : *r) required.push_back(Value::string(x.is_string() ? x.get<std::string>() : x.dump()));
    if (!r->empty()) params_go["required"] = *r;
  }
  params_go["properties"] = props_go;
  Value parameters = backed(Value::structure("api.ToolFunctionParameters",
                                             {{"Type", Value::string(str_member(*params, "type"))},
                                              {"Required", Value::list(std::move(required), "[]string")},
                                              {"Properties", properties}}),
                            *params, params_go);

  Json fn_go = Json::object();
  fn_go["name"] = str_member(*fn, "name");
  fn_go["description"] = str_member(*fn, "description");
  fn_go["parameters"] = params_go;
  Value function = backed(Value::structure("api.ToolFunction", {{"Name", Value::string(str_member(*fn, "name"))},
                                                                {"Description", Value::string(str_member(*fn, "description"))},
                                                                {"Parameters", parameters}})
                              .with_stringer(Stringer::kGoJson),
                          *fn, fn_go);
  Json tool_go = Json::object();
  tool_go["type"] = str_member(tool, "type");
  Value items = Value::nil();
  if (const Json* it = member(tool, "items"); it && !it->is_null()) {
    tool_go["items"] = go_sorted(*it);
    items = Value::from_json(*it);
  }
  tool_go["function"] = fn_go;
  return backed(Value::structure("api.Tool", {{"Type", Value::string(str_member(tool, "type"))},
                                              {"Items", items},
                                              {"Function", function}})
                    .with_stringer(Stringer::kGoJson),
                tool, tool_go);
}

Value tools_value(const Json& tools) {
  std::vector<Value> items;
  Json go = Json::array();
  if (tools.is_array()) {
    for (const auto& t : tools) {
      items.push_back(tool_value(t));
      go.push_back(*items.back().go_json());
    }
  }
  bool none = items.empty();
  Value v = Value::list(std::move(items), "api.Tools").with_stringer(Stringer::kGoJson);
  return backed(v, tools.is_array() ? tools : Json::array(), none ? Json(nullptr) : go);
}

Value tool_call_value(const ToolCall& tc) {
  Json args = tc.arguments.is_object() ? tc.arguments : Json::object();
  Value arguments = backed(Value::from_json(args).with_stringer(Stringer::kGoJson), args, go_sorted(args));
  Value function = Value::structure("api.ToolCallFunction", {{"Index", Value::integer(tc.index)},
                                                             {"Name", Value::string(tc.name)},
                                                             {"Arguments", arguments}});
  return Value::structure("api.ToolCall", {{"ID", Value::string(tc.id)}, {"Function", function}});
}

Value message_value(const ChatMessage& m) {
  std::vector<Value> images;
  for (const auto& i : m.images) images.push_back(Value::string(i));
  std::vector<Value> calls;
  for (const auto& tc : m.tool_calls) calls.push_back(tool_call_value(tc));
  return Value::structure("api.Message", {{"Role", Value::string(m.role)},
                                          {"Content", Value::string(m.content)},
                                          {"Thinking", Value::string(m.thinking)},
                                          {"Images", Value::list(std::move(images), "[]api.ImageData")},
                                          {"ToolCalls", Value::list(std::move(calls), "[]api.ToolCall")},
                                          {"ToolName", Value::string(m.tool_name)},
                                          {"ToolCallID", Value::string(m.tool_call_id)}});
}

// Ollama's collate: consecutive messages of one role (except tool) merge with a blank line;
// all system contents are also joined into .System.
std::pair<std::string, std::vector<ChatMessage>> collate(const std::vector<ChatMessage>& msgs) {
  std::string system;
  bool any_system = false;
  std::vector<ChatMessage> out;
  for (const auto& m : msgs) {
    if (m.role == "system") {
      if (any_system) system += "\n\n";
      system += m.content;
      any_system = true;
    }
    if (!out.empty() && out.back().role == m.role && m.role != "tool") {
      out.back().content += "\n\n" + m.content;
    } else {
      out.push_back(m);
    }
  }
  return {system, out};
}

void think_fields(std::vector<Value::Entry>& e, const ChatRequest& req) {
  e.emplace_back("Think", Value::boolean(req.think));
  e.emplace_back("ThinkLevel", Value::string(req.think_level));
  e.emplace_back("IsThinkSet", Value::boolean(req.is_think_set));
}

std::string date_string(int days_back) {
  std::time_t now = std::time(nullptr) - static_cast<std::time_t>(days_back) * 86400;
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

bool py_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string ts_type_of(const std::string& t, const Value& items) {
  if (t == "string") return "string";
  if (t == "number" || t == "integer") return "number";
  if (t == "boolean") return "boolean";
  if (t == "null") return "null";
  if (t == "object") return "Record<string, any>";
  if (t == "array") {
    if (items.kind() == ValueKind::kMap) {
      if (const Value* it = items.find("type"); it && it->kind() == ValueKind::kString) {
        return ts_type_of(it->as_string(), Value()) + "[]";
      }
    }
    return "any[]";
  }
  return "any";
}

ExecOptions ollama_exec(ExecOptions opts) {
  opts.missing_key = MissingKey::kZero;
  return opts;
}

}  // namespace

std::shared_ptr<const FuncMap> chat_functions() {
  static const std::shared_ptr<const FuncMap> kFuncs = [] {
    auto f = std::make_shared<FuncMap>();
    (*f)["json"] = [](std::span<const Value> a) -> Result<Value> {
      if (a.size() != 1) return arity("json", 1, a.size());
      return Value::string(go_json(a[0]));
    };
    (*f)["tojson"] = [](std::span<const Value> a) -> Result<Value> {
      if (a.empty() || a.size() > 2) return invalid_argument("wrong number of args for tojson: want 1 or 2 got %zu", a.size());
      int indent = -1;
      if (a.size() == 2) {
        if (a[1].kind() != ValueKind::kInt || a[1].as_int() < 0 || a[1].as_int() > 64) {
          return invalid_argument("tojson: indent must be an integer from 0 to 64");
        }
        indent = static_cast<int>(a[1].as_int());
      }
      return Value::string(python_json(a[0], indent));
    };
    (*f)["trim"] = [](std::span<const Value> a) -> Result<Value> {
      if (a.size() != 1) return arity("trim", 1, a.size());
      if (a[0].kind() != ValueKind::kString) return invalid_argument("trim: expected a string, got %s", a[0].type_name().c_str());
      const std::string& s = a[0].as_string();
      size_t b = 0, e = s.size();
      while (b < e && py_space(static_cast<unsigned char>(s[b]))) ++b;
      while (e > b && py_space(static_cast<unsigned char>(s[e - 1]))) --e;
      return Value::string(s.substr(b, e - b));
    };
    (*f)["currentDate"] = [](std::span<const Value>) -> Result<Value> { return Value::string(date_string(0)); };
    (*f)["yesterdayDate"] = [](std::span<const Value>) -> Result<Value> { return Value::string(date_string(1)); };
    (*f)["toTypeScriptType"] = [](std::span<const Value> a) -> Result<Value> {
      if (a.size() != 1) return arity("toTypeScriptType", 1, a.size());
      const Value& p = a[0];
      if (p.kind() != ValueKind::kStruct || p.type_name() != "api.ToolProperty") return Value::string("any");
      const Value* en = p.find("Enum");
      if (en && en->size() > 0) {
        std::string out;
        for (const Value& e : en->items()) {
          if (!out.empty()) out += " | ";
          out += e.kind() == ValueKind::kString ? "\"" + e.as_string() + "\"" : go_json(e);
        }
        return Value::string(out);
      }
      const Value* t = p.find("Type");
      const Value* items = p.find("Items");
      Value it = items ? *items : Value();
      if (t && t->kind() == ValueKind::kString) return Value::string(ts_type_of(t->as_string(), it));
      if (t && t->kind() == ValueKind::kList) {
        std::string out;
        for (const Value& x : t->items()) {
          if (!out.empty()) out += " | ";
          out += ts_type_of(x.as_string(), it);
        }
        return Value::string(out.empty() ? "any" : out);
      }
      return Value::string("any");
    };
    return f;
  }();
  return kFuncs;
}

Result<Template> parse_chat_template(std::string_view text, std::string name) {
  CORRAL_ASSIGN_OR_RETURN(Template t, Template::parse(text, std::move(name), chat_functions()));
  auto ids = t.identifiers();
  bool has = std::binary_search(ids.begin(), ids.end(), "messages") || std::binary_search(ids.begin(), ids.end(), "response");
  if (!has) t = t.with_field_appended("Response");
  return t;
}

Value chat_data(const ChatRequest& req) {
  auto [system, msgs] = collate(req.messages);
  std::vector<Value> mv;
  for (const auto& m : msgs) mv.push_back(message_value(m));
  std::vector<Value::Entry> e;
  e.emplace_back("System", Value::string(system));
  e.emplace_back("Messages", Value::list(std::move(mv), "[]*api.Message"));
  e.emplace_back("Tools", tools_value(req.tools));
  e.emplace_back("Response", Value::string(""));
  think_fields(e, req);
  return Value::map(std::move(e));
}

Result<std::string> execute_chat(const Template& t, const ChatRequest& req, bool force_legacy, const ExecOptions& opts) {
  ExecOptions eo = ollama_exec(opts);
  if (!req.prompt.empty() && !req.suffix.empty()) {
    std::vector<Value::Entry> e{{"Prompt", Value::string(req.prompt)},
                                {"Suffix", Value::string(req.suffix)},
                                {"Response", Value::string("")}};
    think_fields(e, req);
    return t.execute(Value::map(std::move(e)), eo);
  }
  auto ids = t.identifiers();
  if (!force_legacy && std::binary_search(ids.begin(), ids.end(), "messages")) {
    return t.execute(chat_data(req), eo);
  }
  auto [unused_system, msgs] = collate(req.messages);
  std::string out, system, prompt, response;
  auto legacy_data = [&] {
    std::vector<Value::Entry> e{{"System", Value::string(system)},
                                {"Prompt", Value::string(prompt)},
                                {"Response", Value::string(response)}};
    think_fields(e, req);
    return Value::map(std::move(e));
  };
  auto run_turn = [&]() -> Status {
    CORRAL_ASSIGN_OR_RETURN(std::string s, t.execute(legacy_data(), eo));
    if (out.size() + s.size() > eo.max_output_bytes) return invalid_argument("template: prompt exceeds the output limit");
    out += s;
    system.clear();
    prompt.clear();
    response.clear();
    return ok_status();
  };
  for (const auto& m : msgs) {
    if (m.role == "system") {
      if (!prompt.empty() || !response.empty()) CORRAL_TRY(run_turn());
      system = m.content;
    } else if (m.role == "user") {
      if (!response.empty()) CORRAL_TRY(run_turn());
      prompt = m.content;
    } else if (m.role == "assistant") {
      response = m.content;
    }
  }
  Template last = t.cut_after_field("Response");
  CORRAL_ASSIGN_OR_RETURN(std::string s, last.execute(legacy_data(), eo));
  out += s;
  return out;
}

Result<std::string> render_chat(const Template& t, const ChatRequest& req, const RenderOptions& opts) {
  ChatRequest r = req;
  if (!r.system.empty() && (r.messages.empty() || r.messages.front().role != "system")) {
    ChatMessage sys;
    sys.role = "system";
    sys.content = r.system;
    r.messages.insert(r.messages.begin(), std::move(sys));
  }
  if (opts.num_ctx == 0 || r.messages.size() <= 1) return execute_chat(t, r, false, opts.exec);
  if (!opts.count_tokens) return invalid_argument("render_chat: a context length needs a token counter");
  const std::vector<ChatMessage> all = std::move(r.messages);
  auto with_start = [&](size_t start) {
    std::vector<ChatMessage> msgs;
    for (size_t k = 0; k < start; ++k) {
      if (all[k].role == "system") msgs.push_back(all[k]);
    }
    msgs.insert(msgs.end(), all.begin() + static_cast<std::ptrdiff_t>(start), all.end());
    return msgs;
  };
  size_t start = all.size() - 1;  // the last message is always kept
  for (size_t i = all.size() - 1; i-- > 0;) {
    r.messages = with_start(i);
    CORRAL_ASSIGN_OR_RETURN(std::string s, execute_chat(t, r, false, opts.exec));
    CORRAL_ASSIGN_OR_RETURN(size_t n, opts.count_tokens(s));
    for (size_t k = i; k < all.size(); ++k) n += opts.tokens_per_image * all[k].images.size();
    if (n > opts.num_ctx) break;
    start = i;
  }
  r.messages = with_start(start);
  return execute_chat(t, r, false, opts.exec);
}

Result<ChatRequest> chat_request_from_json(const Json& j) {
  if (!j.is_object()) return invalid_argument("chat request: expected a JSON object");
  ChatRequest req;
  if (const Json* msgs = member(j, "messages")) {
    if (!msgs->is_array()) return invalid_argument("chat request: \"messages\" must be an array");
    for (size_t i = 0; i < msgs->size(); ++i) {
      const Json& m = (*msgs)[i];
      if (!m.is_object()) return invalid_argument("chat request: message %zu is not an object", i);
      ChatMessage cm;
      cm.role = str_member(m, "role");
      if (cm.role.empty()) return invalid_argument("chat request: message %zu has no role", i);
      if (const Json* c = member(m, "content")) {
        if (c->is_string()) {
          cm.content = c->get<std::string>();
        } else if (c->is_array()) {  // OpenAI content parts: join the text parts
          for (const auto& part : *c) cm.content += str_member(part, "text");
        } else if (!c->is_null()) {
          return invalid_argument("chat request: message %zu content must be a string", i);
        }
      }
      cm.thinking = str_member(m, "thinking");
      cm.tool_name = str_member(m, "tool_name");
      cm.tool_call_id = str_member(m, "tool_call_id");
      if (const Json* imgs = member(m, "images"); imgs && imgs->is_array()) {
        for (const auto& im : *imgs) cm.images.push_back(im.is_string() ? im.get<std::string>() : im.dump());
      }
      if (const Json* calls = member(m, "tool_calls"); calls && calls->is_array()) {
        for (const auto& c : *calls) {
          ToolCall tc;
          tc.id = str_member(c, "id");
          const Json* fn = member(c, "function");
          if (!fn) return invalid_argument("chat request: message %zu has a tool call without a function", i);
          tc.name = str_member(*fn, "name");
          if (const Json* idx = member(*fn, "index"); idx && idx->is_number_integer()) tc.index = idx->get<int>();
          if (const Json* args = member(*fn, "arguments")) {
            if (args->is_object()) {
              tc.arguments = *args;
            } else if (args->is_string()) {  // OpenAI sends arguments as a JSON string
              Json parsed = Json::parse(args->get<std::string>(), nullptr, false);
              if (!parsed.is_object()) {
                return invalid_argument("chat request: tool call arguments of message %zu are not a JSON object", i);
              }
              tc.arguments = parsed;
            }
          }
          cm.tool_calls.push_back(std::move(tc));
        }
      }
      req.messages.push_back(std::move(cm));
    }
  }
  if (const Json* tools = member(j, "tools"); tools && !tools->is_null()) {
    if (!tools->is_array()) return invalid_argument("chat request: \"tools\" must be an array");
    req.tools = *tools;
  }
  req.system = str_member(j, "system");
  req.prompt = str_member(j, "prompt");
  req.suffix = str_member(j, "suffix");
  if (const Json* th = member(j, "think"); th && !th->is_null()) {
    req.is_think_set = true;
    if (th->is_boolean()) {
      req.think = th->get<bool>();
    } else if (th->is_string()) {
      req.think = true;
      req.think_level = th->get<std::string>();
    } else {
      return invalid_argument("chat request: \"think\" must be a boolean or a level string");
    }
  }
  return req;
}

}  // namespace corral::tmpl
