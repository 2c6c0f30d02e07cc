#include "server/output_parse.h"

#include <algorithm>

namespace corral::server {
namespace {

using Json = nlohmann::ordered_json;

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// Length of the longest suffix of `s` that is a proper prefix of `tag`.
size_t partial_tag(std::string_view s, std::string_view tag) {
  size_t max = std::min(s.size(), tag.size() - 1);
  for (size_t n = max; n > 0; --n) {
    if (s.substr(s.size() - n) == tag.substr(0, n)) return n;
  }
  return 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

ThinkingSplitter::ThinkingSplitter(bool start_inside, std::string open, std::string close)
    : open_(std::move(open)), close_(std::move(close)), state_(start_inside ? State::kThinking : State::kStart) {}

void ThinkingSplitter::feed(std::string_view text, std::string* thinking, std::string* content) {
  held_.append(text);
  for (;;) {
    switch (state_) {
      case State::kStart: {
        size_t i = 0;
        while (i < held_.size() && is_space(held_[i])) ++i;
        std::string_view rest = std::string_view(held_).substr(i);
        if (rest.size() >= open_.size()) {
          if (rest.substr(0, open_.size()) == open_) {
            held_.erase(0, i + open_.size());
            state_ = State::kThinking;
          } else {
            state_ = State::kContent;
          }
          continue;
        }
        if (std::string_view(open_).substr(0, rest.size()) != rest) {
          state_ = State::kContent;
          continue;
        }
        return;  // may still become the opening tag
      }
      case State::kThinking: {
        size_t at = held_.find(close_);
        if (at != std::string::npos) {
          thinking->append(held_, 0, at);
          held_.erase(0, at + close_.size());
          state_ = State::kAfter;
          continue;
        }
        size_t keep = partial_tag(held_, close_);
        thinking->append(held_, 0, held_.size() - keep);
        held_.erase(0, held_.size() - keep);
        return;
      }
      case State::kAfter: {  // whitespace between </think> and the answer is dropped
        size_t i = 0;
        while (i < held_.size() && is_space(held_[i])) ++i;
        held_.erase(0, i);
        if (held_.empty()) return;
        state_ = State::kContent;
        continue;
      }
      case State::kContent:
        content->append(held_);
        held_.clear();
        return;
    }
  }
}

void ThinkingSplitter::finish(std::string* thinking, std::string* content) {
  if (state_ == State::kThinking) {
    thinking->append(held_);
  } else if (state_ != State::kAfter) {
    content->append(held_);
  }
  held_.clear();
}

ToolCallParser::ToolCallParser(std::vector<std::string> tool_names, std::string prefix, std::string suffix)
    : names_(std::move(tool_names)), prefix_(std::move(prefix)), suffix_(std::move(suffix)) {}

bool ToolCallParser::parse_calls(std::string_view text, std::vector<ParsedToolCall>* calls) const {
  Json j = Json::parse(trim(text), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return false;
  std::vector<Json> items;
  if (j.is_array()) {
    if (j.empty()) return false;
    items.assign(j.begin(), j.end());
  } else {
    items.push_back(j);
  }
  std::vector<ParsedToolCall> out;
  for (Json& item : items) {
    if (!item.is_object()) return false;
    if (item.contains("function") && item["function"].is_object()) item = item["function"];
    auto name = item.find("name");
    if (name == item.end() || !name->is_string()) return false;
    ParsedToolCall call;
    call.name = name->get<std::string>();
    if (!names_.empty() && std::find(names_.begin(), names_.end(), call.name) == names_.end()) return false;
    const Json* args = nullptr;
    for (const char* key : {"arguments", "parameters"}) {
      if (item.contains(key)) args = &item[key];
    }
    if (args != nullptr) {
      if (args->is_string()) {
        Json parsed = Json::parse(args->get<std::string>(), nullptr, false);
        if (!parsed.is_object()) return false;
        call.arguments = parsed;
      } else if (args->is_object()) {
        call.arguments = *args;
      } else if (!args->is_null()) {
        return false;
      }
    }
    out.push_back(std::move(call));
  }
  calls->insert(calls->end(), out.begin(), out.end());
  return true;
}

void ToolCallParser::drain(std::string* content, std::vector<ParsedToolCall>* calls, bool final) {
  for (;;) {
    if (!seen_text_ && !bare_json_) {
      std::string_view t = trim(buf_);
      if (t.empty() && !final) return;
      if (!t.empty() && (t.front() == '{' || t.front() == '[')) bare_json_ = true;
    }
    if (bare_json_) {
      if (!final) return;
      if (!parse_calls(buf_, calls)) {
        content->append(buf_);
      } else {
        any_calls_ = true;
      }
      buf_.clear();
      return;
    }
    size_t at = prefix_.empty() ? std::string::npos : buf_.find(prefix_);
    if (at == std::string::npos) {
      size_t keep = final || prefix_.empty() ? 0 : partial_tag(buf_, prefix_);
      std::string_view out = std::string_view(buf_).substr(0, buf_.size() - keep);
      if (trim(out).empty()) {
        // Whitespace is held until text follows; at the end it is dropped after calls.
        if (!final) return;
        if (!seen_text_ || any_calls_) out = {};
      } else {
        seen_text_ = true;
      }
      content->append(out);
      buf_.erase(0, buf_.size() - keep);
      return;
    }
    size_t end = buf_.find(suffix_, at + prefix_.size());
    if (end == std::string::npos && !final) {
      // Emit the text before the tag; hold the call until its closing tag.
      std::string_view before = std::string_view(buf_).substr(0, at);
      if (!trim(before).empty() || seen_text_) {
        seen_text_ = true;
        content->append(before);
      }
      buf_.erase(0, at);
      return;
    }
    std::string_view before = std::string_view(buf_).substr(0, at);
    if (!trim(before).empty() || seen_text_) content->append(before);
    size_t calls_before = calls->size();
    size_t body_end = end == std::string::npos ? buf_.size() : end;
    std::string_view body = std::string_view(buf_).substr(at + prefix_.size(), body_end - at - prefix_.size());
    if (!parse_calls(body, calls)) {
      content->append(buf_, at, (end == std::string::npos ? buf_.size() : end + suffix_.size()) - at);
      seen_text_ = true;
    }
    if (calls->size() > calls_before) any_calls_ = true;
    buf_.erase(0, end == std::string::npos ? buf_.size() : end + suffix_.size());
    if (buf_.empty()) return;
  }
}

void ToolCallParser::feed(std::string_view text, std::string* content, std::vector<ParsedToolCall>* calls) {
  buf_.append(text);
  drain(content, calls, false);
}

void ToolCallParser::finish(std::string* content, std::vector<ParsedToolCall>* calls) {
  drain(content, calls, true);
  buf_.clear();
}

}  // namespace corral::server
