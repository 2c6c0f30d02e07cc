// Modelfile parser: instructions, quoting, comments, parameters and their types (Ollama's
// api.Options), FROM classification, and malformed input with line numbers.
#include <gtest/gtest.h>

#include <string>

#include "store/modelfile.h"
#include "store/modelfile_params.h"
#include "test_dir.h"
#include "util/file.h"

namespace corral::store {
namespace {

using nlohmann::json;

const std::string kHex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

ModelfileOptions no_fs() {
  ModelfileOptions o;
  o.probe_paths = false;
  return o;
}

Modelfile parse_ok(const std::string& text) {
  auto r = parse_modelfile(text, no_fs());
  EXPECT_TRUE(r.ok()) << r.status().to_string() << "\n--- input ---\n" << text;
  return r.ok() ? std::move(r).value() : Modelfile{};
}

std::string parse_err(const std::string& text) {
  auto r = parse_modelfile(text, no_fs());
  EXPECT_FALSE(r.ok()) << "accepted:\n" << text;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

TEST(ModelfileTest, MinimalFrom) {
  Modelfile mf = parse_ok("FROM llama3.2\n");
  EXPECT_EQ(mf.from.kind, FromKind::kModelName);
  EXPECT_EQ(mf.from.name->model(), "llama3.2");
  EXPECT_EQ(mf.commands.size(), 1u);
  EXPECT_EQ(mf.commands[0].line, 1);
  EXPECT_TRUE(mf.params.empty());
}

TEST(ModelfileTest, InstructionsAreCaseInsensitive) {
  Modelfile mf = parse_ok("from m\nParameter temperature 0.5\nsystem hi\ntEmPlAtE {{ .Prompt }}\n");
  EXPECT_EQ(mf.system, "hi");
  EXPECT_EQ(mf.template_text, "{{ .Prompt }}");
  EXPECT_EQ(mf.params["temperature"], 0.5);
}

TEST(ModelfileTest, CommentsAndBlankLines) {
  Modelfile mf = parse_ok("# a comment\n\n   # indented comment\nFROM m\n\n\t\nSYSTEM x # not a comment\n#end");
  EXPECT_EQ(mf.system, "x # not a comment");
  EXPECT_EQ(mf.commands.size(), 2u);
  EXPECT_EQ(mf.commands[1].line, 7);
}

TEST(ModelfileTest, BareValueRunsToEndOfLine) {
  Modelfile mf = parse_ok("FROM m\nSYSTEM   You are   a pirate.   \n");
  EXPECT_EQ(mf.system, "You are   a pirate.");
}

TEST(ModelfileTest, QuotedValue) {
  Modelfile mf = parse_ok("FROM m\nSYSTEM \"  padded  \"\n");
  EXPECT_EQ(mf.system, "  padded  ");
}

TEST(ModelfileTest, QuotedValueWithInnerQuotes) {
  // As in Ollama: the value ends at the quote that ends its line.
  Modelfile mf = parse_ok("FROM m\nSYSTEM \"He said \"hi\" to me\"\n");
  EXPECT_EQ(mf.system, "He said \"hi\" to me");
}

TEST(ModelfileTest, QuotedValueSpansLines) {
  Modelfile mf = parse_ok("FROM m\nSYSTEM \"line one\nline two\"\nPARAMETER seed 3\n");
  EXPECT_EQ(mf.system, "line one\nline two");
  EXPECT_EQ(mf.commands[2].line, 4);
}

TEST(ModelfileTest, TripleQuotedTemplate) {
  const std::string text =
      "FROM m\n"
      "TEMPLATE \"\"\"{{ if .System }}<|im_start|>system\n"
      "{{ .System }}<|im_end|>\n"
      "{{ end }}<|im_start|>user \"quoted\"\n"
      "{{ .Prompt }}<|im_end|>\n"
      "\"\"\"\n"
      "PARAMETER stop <|im_end|>\n";
  Modelfile mf = parse_ok(text);
  EXPECT_EQ(mf.template_text,
            "{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}<|im_start|>user "
            "\"quoted\"\n{{ .Prompt }}<|im_end|>\n");
  EXPECT_EQ(mf.commands.back().line, 7);
  EXPECT_EQ(mf.params["stop"], json::array({"<|im_end|>"}));
}

TEST(ModelfileTest, TripleQuotedEmptyAndOneLine) {
  Modelfile mf = parse_ok("FROM m\nSYSTEM \"\"\"\"\"\"\nTEMPLATE \"\"\"{{ .Prompt }}\"\"\"\n");
  EXPECT_EQ(mf.system, "");
  EXPECT_EQ(mf.template_text, "{{ .Prompt }}");
}

TEST(ModelfileTest, CrLfLineEndings) {
  Modelfile mf = parse_ok("FROM m\r\nSYSTEM hello\r\nTEMPLATE \"\"\"a\r\nb\"\"\"\r\nPARAMETER top_k 5\r\n");
  EXPECT_EQ(mf.system, "hello");
  EXPECT_EQ(mf.template_text, "a\nb");
  EXPECT_EQ(mf.params["top_k"], 5);
}

TEST(ModelfileTest, ByteOrderMarkAndNoFinalNewline) {
  Modelfile mf = parse_ok("\xEF\xBB\xBF" "FROM m\nPARAMETER num_ctx 8192");
  EXPECT_EQ(mf.params["num_ctx"], 8192);
}

TEST(ModelfileTest, ParameterTypes) {
  Modelfile mf = parse_ok(
      "FROM m\n"
      "PARAMETER num_ctx 4096\n"
      "PARAMETER temperature 0.7\n"
      "PARAMETER top_k 40\n"
      "PARAMETER top_p 0.9\n"
      "PARAMETER min_p 0.05\n"
      "PARAMETER typical_p 1\n"
      "PARAMETER repeat_penalty 1.1\n"
      "PARAMETER repeat_last_n -1\n"
      "PARAMETER presence_penalty 0\n"
      "PARAMETER frequency_penalty -0.5\n"
      "PARAMETER seed 42\n"
      "PARAMETER num_predict -2\n"
      "PARAMETER num_keep 24\n"
      "PARAMETER num_thread 8\n"
      "PARAMETER num_batch 512\n"
      "PARAMETER mirostat 2\n"
      "PARAMETER mirostat_tau 5.0\n"
      "PARAMETER mirostat_eta 1e-1\n"
      "PARAMETER penalize_newline false\n"
      "PARAMETER use_mmap TRUE\n");
  const json expect = {
      {"num_ctx", 4096}, {"temperature", 0.7}, {"top_k", 40}, {"top_p", 0.9}, {"min_p", 0.05},
      {"typical_p", 1.0}, {"repeat_penalty", 1.1}, {"repeat_last_n", -1}, {"presence_penalty", 0.0},
      {"frequency_penalty", -0.5}, {"seed", 42}, {"num_predict", -2}, {"num_keep", 24},
      {"num_thread", 8}, {"num_batch", 512}, {"mirostat", 2}, {"mirostat_tau", 5.0},
      {"mirostat_eta", 0.1}, {"penalize_newline", false}, {"use_mmap", true}};
  EXPECT_EQ(mf.params, expect);
  EXPECT_TRUE(mf.params["num_ctx"].is_number_integer());
  EXPECT_TRUE(mf.params["typical_p"].is_number_float());
  // JSON text as Ollama's params layer shows it (sorted keys, plain numbers).
  EXPECT_NE(mf.params.dump().find("\"temperature\":0.7"), std::string::npos) << mf.params.dump();
}

TEST(ModelfileTest, StopCollectsAList) {
  Modelfile mf = parse_ok(
      "FROM m\nPARAMETER stop <|start_header_id|>\nPARAMETER stop \"<|eot_id|>\"\n"
      "PARAMETER stop \"User: \"\nPARAMETER Stop ###\n");
  EXPECT_EQ(mf.params["stop"], json::array({"<|start_header_id|>", "<|eot_id|>", "User: ", "###"}));
}

TEST(ModelfileTest, ParameterLastValueWins) {
  Modelfile mf = parse_ok("FROM m\nPARAMETER temperature 1\nPARAMETER temperature 0.2\n");
  EXPECT_EQ(mf.params["temperature"], 0.2);
  EXPECT_EQ(mf.commands.size(), 3u);
}

TEST(ModelfileTest, Messages) {
  Modelfile mf = parse_ok(
      "FROM m\nMESSAGE system You are terse.\nMESSAGE user \"Is the sky blue?\"\n"
      "MESSAGE Assistant \"\"\"Yes.\nIt is.\"\"\"\n");
  ASSERT_EQ(mf.messages.size(), 3u);
  EXPECT_EQ(mf.messages[0].role, "system");
  EXPECT_EQ(mf.messages[1].content, "Is the sky blue?");
  EXPECT_EQ(mf.messages[2].role, "assistant");
  EXPECT_EQ(mf.messages[2].content, "Yes.\nIt is.");
  EXPECT_EQ(mf.messages_json(), json::parse(R"([{"role":"system","content":"You are terse."},
      {"role":"user","content":"Is the sky blue?"},{"role":"assistant","content":"Yes.\nIt is."}])"));
}

TEST(ModelfileTest, LicensesAdaptersAndLastSystemWins) {
  Modelfile mf = parse_ok(
      "FROM m\nLICENSE \"\"\"MIT\nLicense\"\"\"\nLICENSE Apache-2.0\nADAPTER ./lora.gguf\n"
      "SYSTEM one\nSYSTEM two\n");
  EXPECT_EQ(mf.licenses, (std::vector<std::string>{"MIT\nLicense", "Apache-2.0"}));
  EXPECT_EQ(mf.adapters, std::vector<std::string>{"./lora.gguf"});
  EXPECT_EQ(mf.system, "two");
}

TEST(ModelfileTest, UnicodeValues) {
  Modelfile mf = parse_ok("FROM m\nSYSTEM Tu es un assistant français 🤖\nPARAMETER stop 終わり\n");
  EXPECT_EQ(mf.system, "Tu es un assistant français 🤖");
  EXPECT_EQ(mf.params["stop"][0], "終わり");
}

TEST(ModelfileTest, FromClassification) {
  EXPECT_EQ(parse_ok("FROM /models/x.gguf").from.kind, FromKind::kPath);
  EXPECT_EQ(parse_ok("FROM ./hf-dir").from.kind, FromKind::kPath);
  EXPECT_EQ(parse_ok("FROM ../up/x.gguf").from.kind, FromKind::kPath);
  EXPECT_EQ(parse_ok("FROM ~/models/x.gguf").from.kind, FromKind::kPath);
  EXPECT_EQ(parse_ok("FROM \"/path with spaces/x.gguf\"").from.value, "/path with spaces/x.gguf");
  Modelfile d = parse_ok("FROM sha256:" + kHex);
  EXPECT_EQ(d.from.kind, FromKind::kDigest);
  EXPECT_EQ(d.from.digest->hex(), kHex);
  Modelfile n = parse_ok("FROM hf.co/org/model:Q4_K_M");
  EXPECT_EQ(n.from.kind, FromKind::kModelName);
  EXPECT_EQ(n.from.name->host(), "hf.co");
}

TEST(ModelfileTest, FromExistingRelativePathIsAPath) {
  testing::TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir.path() + "/model.gguf", std::string_view("x")).ok());
  ASSERT_TRUE(write_file_atomic(dir.path() + "/Modelfile", std::string_view("FROM model.gguf\n")).ok());
  auto mf = parse_modelfile_file(dir.path() + "/Modelfile");
  ASSERT_TRUE(mf.ok()) << mf.status().to_string();
  EXPECT_EQ(mf->from.kind, FromKind::kPath);
  // Without the file it reads as a model name ("model.gguf" is a valid one).
  ASSERT_TRUE(write_file_atomic(dir.path() + "/Modelfile", std::string_view("FROM other.gguf\n")).ok());
  EXPECT_EQ(parse_modelfile_file(dir.path() + "/Modelfile")->from.kind, FromKind::kModelName);
  // Errors carry the file's path.
  ASSERT_TRUE(write_file_atomic(dir.path() + "/Modelfile", std::string_view("FROM m\nFORM x\n")).ok());
  auto bad = parse_modelfile_file(dir.path() + "/Modelfile");
  EXPECT_EQ(bad.status().message(), dir.path() + "/Modelfile:2: unknown instruction 'FORM'");
  EXPECT_EQ(parse_modelfile_file(dir.path() + "/none").status().code(), StatusCode::kNotFound);
}

// ---- malformed input: each error names the line ----

TEST(ModelfileErrorTest, UnknownInstruction) {
  EXPECT_EQ(parse_err("FROM m\n# c\n\nPARAMETER seed 1\n\n\nFORM x\n"), "Modelfile:7: unknown instruction 'FORM'");
}

TEST(ModelfileErrorTest, InstructionGluedToPunctuation) {
  EXPECT_EQ(parse_err("FROM: m\n"), "Modelfile:1: unknown instruction 'FROM:'");
}

TEST(ModelfileErrorTest, MissingFrom) {
  EXPECT_EQ(parse_err("SYSTEM hi\n"), "Modelfile: no FROM instruction");
  EXPECT_EQ(parse_err(""), "Modelfile: no FROM instruction");
  EXPECT_EQ(parse_err("# only a comment"), "Modelfile: no FROM instruction");
}

TEST(ModelfileErrorTest, SecondFrom) {
  EXPECT_EQ(parse_err("FROM a\nFROM b\n"), "Modelfile:2: second FROM (the first is on line 1)");
}

TEST(ModelfileErrorTest, MissingValues) {
  EXPECT_EQ(parse_err("FROM\n"), "Modelfile:1: FROM needs a value");
  EXPECT_EQ(parse_err("FROM m\nSYSTEM   \n"), "Modelfile:2: SYSTEM needs a value");
  EXPECT_EQ(parse_err("FROM m\nPARAMETER\n"), "Modelfile:2: PARAMETER needs a value");
  EXPECT_EQ(parse_err("FROM m\nPARAMETER temperature\n"), "Modelfile:2: PARAMETER temperature needs a value");
  EXPECT_EQ(parse_err("FROM m\nMESSAGE user\n"), "Modelfile:2: MESSAGE user needs content");
}

TEST(ModelfileErrorTest, UnknownParameter) {
  EXPECT_EQ(parse_err("FROM m\nPARAMETER temprature 0.5\n"), "Modelfile:2: unknown parameter 'temprature'");
  EXPECT_EQ(parse_err("FROM m\nPARAMETER top-k 5\n"), "Modelfile:2: invalid parameter name 'top-k'");
}

TEST(ModelfileErrorTest, WrongParameterTypes) {
  EXPECT_EQ(parse_err("FROM m\nPARAMETER num_ctx abc\n"),
            "Modelfile:2: parameter 'num_ctx' expects an integer, got 'abc'");
  EXPECT_EQ(parse_err("FROM m\nPARAMETER num_ctx 4096.5\n"),
            "Modelfile:2: parameter 'num_ctx' expects an integer, got '4096.5'");
  EXPECT_EQ(parse_err("FROM m\nPARAMETER temperature warm\n"),
            "Modelfile:2: parameter 'temperature' expects a number, got 'warm'");
  EXPECT_EQ(parse_err("FROM m\nPARAMETER penalize_newline yes\n"),
            "Modelfile:2: parameter 'penalize_newline' expects true or false, got 'yes'");
  for (const char* v : {"nan", "inf", "-inf", "1e999", "0x10", "1.0.0", "--1", "1 2", ""}) {
    std::string text = std::string("FROM m\nPARAMETER top_p \"") + v + "\"\n";
    auto r = parse_modelfile(text, no_fs());
    EXPECT_FALSE(r.ok()) << v;
  }
  EXPECT_EQ(parse_err("FROM m\nPARAMETER seed 99999999999999999999999\n"),
            "Modelfile:2: parameter 'seed' expects an integer, got '99999999999999999999999'");
  EXPECT_EQ(parse_err("FROM m\nPARAMETER stop \"\"\n"), "Modelfile:2: parameter 'stop' must not be empty");
}

TEST(ModelfileErrorTest, BadMessageRole) {
  EXPECT_EQ(parse_err("FROM m\n\nMESSAGE tool hi\n"),
            "Modelfile:3: MESSAGE role must be system, user or assistant, got 'tool'");
}

TEST(ModelfileErrorTest, UnterminatedQuotes) {
  EXPECT_EQ(parse_err("FROM m\nSYSTEM \"\"\"never closed\nmore\n"),
            "Modelfile:2: unterminated \"\"\" in SYSTEM (no closing \"\"\")");
  EXPECT_EQ(parse_err("FROM m\n\nTEMPLATE \"open\n"), "Modelfile:3: unterminated quote in TEMPLATE");
  EXPECT_EQ(parse_err("FROM m\nSYSTEM \"a\" b\n"), "Modelfile:2: unterminated quote in SYSTEM");
}

TEST(ModelfileErrorTest, TextAfterTripleQuote) {
  EXPECT_EQ(parse_err("FROM m\nTEMPLATE \"\"\"a\nb\"\"\" junk\n"),
            "Modelfile:3: unexpected text after the closing \"\"\" of TEMPLATE");
}

TEST(ModelfileErrorTest, LineNumbersCountMultiLineValues) {
  EXPECT_EQ(parse_err("FROM m\nSYSTEM \"\"\"1\n2\n3\"\"\"\nLICENSE \"a\nb\"\nBOGUS\n"),
            "Modelfile:7: unknown instruction 'BOGUS'");
}

TEST(ModelfileErrorTest, BadFromValues) {
  EXPECT_EQ(parse_err("FROM sha256:1234\n"),
            "Modelfile:1: FROM sha256:1234: invalid digest 'sha256:1234': expected 64 hex digits after sha256, got 4");
  std::string msg = parse_err("FROM bad name!\n");
  EXPECT_EQ(msg.rfind("Modelfile:1: FROM 'bad name!' is not a file and not a valid model name", 0), 0u) << msg;
  EXPECT_FALSE(parse_modelfile("FROM a/b/c/d\n", no_fs()).ok());
  EXPECT_FALSE(parse_modelfile("FROM %2e%2e/x\n", no_fs()).ok());
}

TEST(ModelfileErrorTest, BinaryAndInvalidUtf8) {
  EXPECT_EQ(parse_err(std::string("FROM m\nSYSTEM a\0b\n", 17)), "Modelfile:2: NUL byte");
  EXPECT_EQ(parse_err("FROM m\n\nSYSTEM caf\xE9\n"), "Modelfile:3: invalid UTF-8");
  EXPECT_EQ(parse_err("FROM m\nSYSTEM \xC0\xAF\n"), "Modelfile:2: invalid UTF-8");     // overlong '/'
  EXPECT_EQ(parse_err("FROM m\nSYSTEM \xED\xA0\x80\n"), "Modelfile:2: invalid UTF-8");  // surrogate
}

TEST(ModelfileErrorTest, ErrorTextIsBoundedAndPrintable) {
  std::string msg = parse_err(std::string(5000, 'X') + "\n");
  EXPECT_LT(msg.size(), 120u);
  std::string ctl = parse_err("\x01\x02" "FROM m\n");
  EXPECT_EQ(ctl, "Modelfile:1: unknown instruction '??FROM'");
}

TEST(ModelfileParamsTest, TableIsSortedAndLookupIgnoresCase) {
  auto all = modelfile_params();
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].name, all[i].name);
  ASSERT_NE(find_modelfile_param("TEMPERATURE"), nullptr);
  EXPECT_EQ(find_modelfile_param("TEMPERATURE")->type, ParamType::kFloat);
  EXPECT_EQ(find_modelfile_param("stop")->type, ParamType::kStringList);
  EXPECT_EQ(find_modelfile_param("num_ctx")->type, ParamType::kInt);
  EXPECT_EQ(find_modelfile_param("nope"), nullptr);
}

}  // namespace
}  // namespace corral::store
