// The built-in Go templates. Each reproduces its family's reference Jinja chat template
// (tools/make_template_goldens.py, checked by tests/unit/template/library_golden_test.cpp) for the
// messages and tools corral passes; families whose Jinja rejects system messages fold them into
// the first user turn instead.
#include "template/library.h"

namespace corral::tmpl {
namespace {

constexpr std::string_view kChatml = R"gt({{- range .Messages }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}<|im_start|>assistant
)gt";

constexpr std::string_view kSmollm2 = R"gt({{- range $i, $m := .Messages }}
{{- if and (eq $i 0) (ne $m.Role "system") }}<|im_start|>system
You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
{{ end }}<|im_start|>{{ $m.Role }}
{{ $m.Content }}<|im_end|>
{{ end }}<|im_start|>assistant
)gt";

constexpr std::string_view kQwen25 = R"gt({{- $sys := "" }}{{ $hasSys := false }}
{{- with .Messages }}{{ with index . 0 }}{{ if eq .Role "system" }}{{ $sys = .Content }}{{ $hasSys = true }}{{ end }}{{ end }}{{ end }}
{{- if .Tools }}<|im_start|>system
{{ if $hasSys }}{{ $sys }}{{ else }}You are Qwen, created by Alibaba Cloud. You are a helpful assistant.{{ end }}

# Tools

You may call one or more functions to assist with the user query.

You are provided with function signatures within <tools></tools> XML tags:
<tools>
{{- range .Tools }}
{{ tojson . }}
{{- end }}
</tools>

For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:
<tool_call>
{"name": <function-name>, "arguments": <args-json-object>}
</tool_call><|im_end|>
{{ else if $hasSys }}<|im_start|>system
{{ $sys }}<|im_end|>
{{ else }}<|im_start|>system
You are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>
{{ end }}
{{- $inTool := false }}
{{- range $i, $m := .Messages }}
{{- if and $inTool (ne .Role "tool") }}<|im_end|>
{{ $inTool = false }}{{ end }}
{{- if or (eq .Role "user") (and (eq .Role "system") (ne $i 0)) (and (eq .Role "assistant") (not .ToolCalls)) }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ else if eq .Role "assistant" }}<|im_start|>assistant
{{- if .Content }}
{{ .Content }}
{{- end }}
{{- range .ToolCalls }}
<tool_call>
{"name": "{{ .Function.Name }}", "arguments": {{ tojson .Function.Arguments }}}
</tool_call>
{{- end }}<|im_end|>
{{ else if eq .Role "tool" }}
{{- if not $inTool }}<|im_start|>user{{ end }}
<tool_response>
{{ .Content }}
</tool_response>{{ $inTool = true }}
{{- end }}
{{- end }}
{{- if $inTool }}<|im_end|>
{{ end }}<|im_start|>assistant
)gt";

constexpr std::string_view kLlama3 = R"gt({{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>

{{ trim .Content }}<|eot_id|>
{{- end }}<|start_header_id|>assistant<|end_header_id|>

)gt";

constexpr std::string_view kLlama31 = R"gt({{- $sys := "" }}{{ $start := 0 }}
{{- with .Messages }}{{ with index . 0 }}{{ if eq .Role "system" }}{{ $sys = trim .Content }}{{ $start = 1 }}{{ end }}{{ end }}{{ end -}}
<|start_header_id|>system<|end_header_id|>

{{ if .Tools }}Environment: ipython
{{ end }}Cutting Knowledge Date: December 2023
Today Date: 26 Jul 2024

{{ $sys }}<|eot_id|>
{{- $toolsPending := false }}{{ if .Tools }}{{ $toolsPending = true }}{{ end }}
{{- range $i, $m := .Messages }}
{{- if lt $i $start }}{{ continue }}{{ end }}
{{- if $toolsPending }}{{ $toolsPending = false }}<|start_header_id|>user<|end_header_id|>

Given the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.

Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.Do not use variables.

{{ range $.Tools }}{{ tojson . 4 }}

{{ end }}{{ trim $m.Content }}<|eot_id|>
{{- else if $m.ToolCalls }}<|start_header_id|>assistant<|end_header_id|>

{{ range $m.ToolCalls }}{"name": "{{ .Function.Name }}", "parameters": {{ tojson .Function.Arguments }}}{{ end }}<|eot_id|>
{{- else if or (eq $m.Role "tool") (eq $m.Role "ipython") }}<|start_header_id|>ipython<|end_header_id|>

{{ tojson $m.Content }}<|eot_id|>
{{- else }}<|start_header_id|>{{ $m.Role }}<|end_header_id|>

{{ trim $m.Content }}<|eot_id|>
{{- end }}
{{- end }}<|start_header_id|>assistant<|end_header_id|>

)gt";

constexpr std::string_view kLlama2 = R"gt({{- $system := .System }}{{ $first := true }}
{{- range .Messages }}
{{- if eq .Role "user" }}{{ if not $first }}<s>{{ end }}{{ $first = false }}[INST] {{ if $system }}<<SYS>>
{{ $system }}
<</SYS>>

{{ $system = "" }}{{ end }}{{ trim .Content }} [/INST]
{{- else if eq .Role "assistant" }} {{ trim .Content }} </s>
{{- end }}
{{- end }})gt";

constexpr std::string_view kMistral = R"gt({{- $system := .System }}
{{- range .Messages }}
{{- if eq .Role "user" }}[INST] {{ if $system }}{{ $system }}

{{ $system = "" }}{{ end }}{{ .Content }} [/INST]
{{- else if eq .Role "assistant" }}{{ .Content }}</s>
{{- end }}
{{- end }})gt";

constexpr std::string_view kGemma = R"gt({{- $prefix := "" }}{{ if .System }}{{ $prefix = printf "%s\n\n" .System }}{{ end }}
{{- range .Messages }}
{{- if ne .Role "system" }}<start_of_turn>{{ if eq .Role "assistant" }}model{{ else }}{{ .Role }}{{ end }}
{{ $prefix }}{{ trim .Content }}<end_of_turn>
{{ $prefix = "" }}
{{- end }}
{{- end }}<start_of_turn>model
)gt";

constexpr std::string_view kPhi3 = R"gt({{- range .Messages }}<|{{ .Role }}|>
{{ .Content }}<|end|>
{{ end }}<|assistant|>
)gt";

constexpr std::string_view kZephyr = R"gt({{- range .Messages }}<|{{ .Role }}|>
{{ .Content }}</s>
{{ end }}<|assistant|>
)gt";

constexpr std::string_view kCommandR = R"gt({{- if .System }}<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>{{ .System }}<|END_OF_TURN_TOKEN|>{{ end }}
{{- range .Messages }}
{{- if eq .Role "user" }}<|START_OF_TURN_TOKEN|><|USER_TOKEN|>{{ trim .Content }}<|END_OF_TURN_TOKEN|>
{{- else if eq .Role "assistant" }}<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>{{ trim .Content }}<|END_OF_TURN_TOKEN|>
{{- end }}
{{- end }}<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>)gt";

constexpr std::string_view kDeepseekR1 = R"gt({{- .System }}
{{- range .Messages }}
{{- if eq .Role "user" }}<｜User｜>{{ .Content }}
{{- else if eq .Role "assistant" }}<｜Assistant｜>{{ .Content }}<｜end▁of▁sentence｜>
{{- end }}
{{- end }}<｜Assistant｜><think>
)gt";

constexpr std::string_view kAlpaca = R"gt({{- if not .System }}You are an AI programming assistant, utilizing the Deepseek Coder model, developed by Deepseek Company, and you only answer questions related to computer science. For politically sensitive questions, security and privacy issues, and other non-computer science questions, you will refuse to answer
{{ end }}
{{- range .Messages }}
{{- if eq .Role "system" }}{{ .Content }}
{{- else if eq .Role "user" }}### Instruction:
{{ .Content }}
{{ else if eq .Role "assistant" }}### Response:
{{ .Content }}
<|EOT|>
{{ end }}
{{- end }}### Response:
)gt";

constexpr std::string_view kVicuna = R"gt({{- if .System }}{{ trim .System }}{{ else }}A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.{{ end }}

{{ range .Messages }}
{{- if eq .Role "user" }}USER: {{ trim .Content }}
{{ else if eq .Role "assistant" }}ASSISTANT: {{ trim .Content }}</s>
{{ end }}
{{- end }}ASSISTANT:)gt";

constexpr std::string_view kOpenchat = R"gt({{- range .Messages }}GPT4 Correct {{ if eq .Role "user" }}User{{ else if eq .Role "assistant" }}Assistant{{ else if eq .Role "system" }}System{{ else }}{{ .Role }}{{ end }}: {{ .Content }}<|end_of_turn|>
{{- end }}GPT4 Correct Assistant:)gt";

constexpr std::string_view kStarcoder2 = R"gt({{- if .System }}{{ .System }}{{ else }}You are an exceptionally intelligent coding assistant that consistently delivers accurate and reliable responses to user instructions.{{ end }}

{{ range .Messages }}
{{- if eq .Role "user" }}### Instruction
{{ .Content }}

{{ else if eq .Role "assistant" }}### Response
{{ .Content }}<|endoftext|>

{{ end }}
{{- end }}### Response
)gt";

constexpr std::string_view kMagicoder = R"gt({{- if .System }}{{ .System }}{{ else }}You are an exceptionally intelligent coding assistant that consistently delivers accurate and reliable responses to user instructions.{{ end }}

{{ range .Messages }}
{{- if eq .Role "user" }}@@ Instruction
{{ .Content }}

{{ else if eq .Role "assistant" }}@@ Response
{{ .Content }}<|EOT|>

{{ end }}
{{- end }}@@ Response
)gt";

constexpr std::string_view kCodellama70b = R"gt({{- range .Messages }}Source: {{ .Role }}

 {{ trim .Content }} <step> {{ end }}Source: assistant
Destination: user

 )gt";

constexpr std::string_view kChatqa = R"gt({{- range .Messages }}
{{- if eq .Role "system" }}{{ .Content }}

{{ else if eq .Role "user" }}User: {{ .Content }}

{{ else if eq .Role "assistant" }}Assistant: {{ .Content }}<|end_of_text|>
{{- end }}
{{- end }}Assistant:)gt";

constexpr std::string_view kGranite = R"gt({{- range .Messages }}
{{- if eq .Role "system" }}System:
{{ .Content }}

{{ else if eq .Role "user" }}Question:
{{ .Content }}

{{ else if eq .Role "assistant" }}Answer:
{{ .Content }}

{{ end }}
{{- end }}Answer:
)gt";

constexpr std::string_view kAlfred = R"gt({{- range .Messages }}<start_{{ .Role }}>{{ if eq .Role "assistant" }}{{ .Content }}{{ else }}{{ trim .Content }}{{ end }}<end_message>
{{- end }}<start_assistant>)gt";

constexpr std::string_view kFalcon = R"gt({{- range .Messages }}
{{- if eq .Role "system" }}System: {{ .Content }}
{{ else if eq .Role "user" }}User: 
{{ .Content }}
{{ else if eq .Role "assistant" }}Falcon:
{{ .Content }}
{{ end }}
{{- end }}Falcon:
)gt";

constexpr std::string_view kSolar = R"gt({{- range .Messages }}
{{- if eq .Role "system" }}{{ if .Content }}### System:
{{ .Content }}

{{ end }}
{{- else if eq .Role "user" }}### User:
{{ .Content }}

{{ else if eq .Role "assistant" }}### Assistant:
{{ .Content }}
{{- end }}
{{- end }}### Assistant:
)gt";

const std::vector<BuiltinTemplate>& library() {
  static const std::vector<BuiltinTemplate> kLibrary = {
      {"chatml", kChatml, {"<|im_start|>", "<|im_end|>"}},
      {"smollm2", kSmollm2, {"<|im_start|>", "<|im_end|>"}},
      {"qwen2.5", kQwen25, {"<|im_start|>", "<|im_end|>", "<|endoftext|>"}},
      {"llama3-instruct", kLlama3, {"<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"}},
      {"llama3.1", kLlama31, {"<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>"}},
      {"llama2-chat", kLlama2, {"[INST]", "[/INST]", "<<SYS>>", "<</SYS>>"}},
      {"mistral-instruct", kMistral, {"[INST]", "[/INST]"}},
      {"gemma-instruct", kGemma, {"<start_of_turn>", "<end_of_turn>"}},
      {"gemma3-instruct", kGemma, {"<end_of_turn>"}},
      {"phi-3", kPhi3, {"<|end|>", "<|system|>", "<|user|>", "<|assistant|>"}},
      {"zephyr", kZephyr, {"<|system|>", "</s>", "<|user|>", "<|assistant|>"}},
      {"command-r", kCommandR, {"<|START_OF_TURN_TOKEN|>", "<|END_OF_TURN_TOKEN|>"}},
      {"deepseek-r1", kDeepseekR1, {"<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>"}},
      {"alpaca", kAlpaca, {"### Instruction:", "### Response", "<|EOT|>"}},
      {"vicuna", kVicuna, {"USER:", "ASSISTANT:"}},
      {"openchat", kOpenchat, {"<|end_of_turn|>"}},
      {"starcoder2-instruct", kStarcoder2, {"### Instruction", "### Response", "<|endoftext|>"}},
      {"magicoder", kMagicoder, {"@@ Instruction", "@@ Response", "<|EOT|>"}},
      {"codellama-70b-instruct", kCodellama70b, {"Source:", "Destination:", "<step>"}},
      {"chatqa", kChatqa, {"System:", "User:", "Assistant:", "<|begin_of_text|>", "<|end_of_text|>"}},
      {"granite-instruct", kGranite, {"System:", "Question:", "Answer:"}},
      {"alfred", kAlfred, {"<start_system>", "<end_message>", "<start_user>", "<start_assistant>"}},
      {"falcon-instruct", kFalcon, {"User:", "Falcon:"}},
      {"solar-instruct", kSolar, {"### System:", "### User:", "### Assistant"}},
  };
  return kLibrary;
}

}  // namespace

std::span<const BuiltinTemplate> builtin_templates() { return library(); }

const BuiltinTemplate* find_builtin_template(std::string_view name) {
  for (const auto& t : library()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace corral::tmpl
