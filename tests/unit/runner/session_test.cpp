// Session: sampling, streaming, stop strings, EOG, budgets and cancellation, driven with
// synthetic logits and the GPT-2 tokenizer of ../shared/testdata (no model needed).
#include <gtest/gtest.h>

#include "formats/gguf.h"
#include "runner/session.h"
#include "tiny_model.h"

namespace corral {
namespace {

class SessionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<GgufFile> f = GgufFile::open(testing::gpt2_vocab_path());
    ASSERT_TRUE(f.ok()) << f.status().to_string();
    Result<std::unique_ptr<Tokenizer>> t = make_tokenizer(*f);
    ASSERT_TRUE(t.ok()) << t.status().to_string();
    tok_ = std::move(t).value().release();
  }
  static void TearDownTestSuite() {
    delete tok_;
    tok_ = nullptr;
  }

  // Logits that make `id` the greedy choice.
  std::vector<float> peak(int32_t id) const {
    std::vector<float> l(static_cast<size_t>(tok_->vocab_size()), 0.0f);
    l[static_cast<size_t>(id)] = 10.0f;
    return l;
  }
  GenerateRequest request(std::string_view prompt) const {
    GenerateRequest r;
    r.prompt = tok_->encode(prompt, false, false);
    r.sampling.temperature = 0.0f;
    r.sampling.repeat_penalty = 1.0f;
    return r;
  }
  // Feeds `ids` as the sampled tokens until the session finishes; returns the streamed pieces.
  std::vector<std::string> feed(Session& s, const std::vector<int32_t>& ids) const {
    std::vector<std::string> pieces;
    for (int32_t id : ids) {
      if (s.done()) break;
      s.consumed(static_cast<int64_t>(s.pending().size()));
      const size_t before = s.result().text.size();
      Status st = s.on_logits(peak(id));
      EXPECT_TRUE(st.ok()) << st.to_string();
      pieces.push_back(s.result().text.substr(before));
    }
    return pieces;
  }

  static Tokenizer* tok_;
};
Tokenizer* SessionTest::tok_ = nullptr;

TEST_F(SessionTest, StreamsGreedyTokensAndStopsOnEog) {
  auto s = Session::create(request("Say hi:"), 0, 0, *tok_, 64);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  std::vector<int32_t> ids = tok_->encode(" Hello world", false, false);
  ASSERT_GE(ids.size(), 2u);
  std::string streamed;
  std::vector<int32_t> all = ids;
  all.push_back(tok_->eos());
  all.push_back(ids[0]);  // never reached
  for (const std::string& p : feed(**s, all)) streamed += p;
  EXPECT_TRUE((*s)->done());
  EXPECT_EQ((*s)->result().done_reason, sample::DoneReason::kStop);
  EXPECT_EQ(streamed, " Hello world");
  EXPECT_EQ((*s)->result().tokens, ids);  // the EOG token is not part of the answer
  EXPECT_EQ((*s)->result().stats.eval_count, static_cast<int64_t>(ids.size()));
}

TEST_F(SessionTest, StopStringAcrossTokensIsCutAndNotEmitted) {
  GenerateRequest r = request("x");
  r.stop = {"lo wor"};
  std::string streamed;
  r.on_text = [&](std::string_view t) {
    streamed += t;
    return true;
  };
  auto s = Session::create(std::move(r), 0, 0, *tok_, 64);
  ASSERT_TRUE(s.ok());
  feed(**s, tok_->encode("Hello world and more", false, false));
  EXPECT_TRUE((*s)->done());
  EXPECT_EQ((*s)->result().done_reason, sample::DoneReason::kStop);
  EXPECT_EQ(streamed, "Hel");
  EXPECT_EQ((*s)->result().text, "Hel");
}

TEST_F(SessionTest, NumPredictEndsWithLength) {
  GenerateRequest r = request("x");
  r.num_predict = 3;
  auto s = Session::create(std::move(r), 0, 0, *tok_, 64);
  ASSERT_TRUE(s.ok());
  std::vector<int32_t> ids = tok_->encode(" one two three four five", false, false);
  ASSERT_GE(ids.size(), 4u);
  feed(**s, ids);
  EXPECT_EQ((*s)->result().done_reason, sample::DoneReason::kLength);
  EXPECT_EQ((*s)->result().stats.eval_count, 3);
  EXPECT_EQ((*s)->result().text, tok_->decode(std::vector<int32_t>(ids.begin(), ids.begin() + 3)));
}

TEST_F(SessionTest, ContextWindowBoundsGeneration) {
  GenerateRequest r = request("a b c d e");  // prompt + generated <= num_ctx
  const int64_t n_prompt = static_cast<int64_t>(r.prompt.size());
  auto s = Session::create(std::move(r), 0, 0, *tok_, n_prompt + 2);
  ASSERT_TRUE(s.ok());
  feed(**s, tok_->encode(" one two three four five", false, false));
  EXPECT_EQ((*s)->result().done_reason, sample::DoneReason::kLength);
  EXPECT_EQ((*s)->result().stats.eval_count, 2);
}

TEST_F(SessionTest, PromptFillingTheContextFinishesAtOnce) {
  GenerateRequest r = request("a b c");
  const int64_t n = static_cast<int64_t>(r.prompt.size());
  auto s = Session::create(std::move(r), 0, 0, *tok_, n);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE((*s)->done());
  EXPECT_EQ((*s)->result().done_reason, sample::DoneReason::kLength);
}

TEST_F(SessionTest, PendingTracksCachedPrefixPromptAndSampledToken) {
  GenerateRequest r = request("one two three four five");
  const std::vector<int32_t> prompt = r.prompt;
  ASSERT_GE(prompt.size(), 5u);
  auto s = Session::create(std::move(r), 3, 2, *tok_, 64);
  ASSERT_TRUE(s.ok());
  Session& ss = **s;
  EXPECT_EQ(ss.seq(), 3);
  EXPECT_TRUE(ss.prefilling());
  EXPECT_EQ(ss.next_pos(), 2);
  EXPECT_EQ(std::vector<int32_t>(ss.pending().begin(), ss.pending().end()),
            std::vector<int32_t>(prompt.begin() + 2, prompt.end()));
  ss.consumed(1);  // a partial chunk
  EXPECT_TRUE(ss.prefilling());
  EXPECT_EQ(ss.next_pos(), 3);
  ss.consumed(static_cast<int64_t>(ss.pending().size()));
  EXPECT_FALSE(ss.prefilling());
  const int32_t t = tok_->encode(" six", false, false)[0];
  ASSERT_TRUE(ss.on_logits(peak(t)).ok());
  ASSERT_EQ(ss.pending().size(), 1u);
  EXPECT_EQ(ss.pending()[0], t);
  EXPECT_EQ(ss.next_pos(), static_cast<int32_t>(prompt.size()));
  EXPECT_EQ(ss.result().stats.prompt_eval_count, static_cast<int64_t>(prompt.size()) - 2);
  EXPECT_EQ(ss.result().stats.cached_prompt_tokens, 2);
  EXPECT_EQ(ss.cached_tokens().size(), prompt.size());  // the sampled token is not fed yet
}

TEST_F(SessionTest, CallbackRefusalCancels) {
  GenerateRequest r = request("x");
  int calls = 0;
  r.on_text = [&](std::string_view) { return ++calls < 2; };
  auto s = Session::create(std::move(r), 0, 0, *tok_, 64);
  ASSERT_TRUE(s.ok());
  feed(**s, tok_->encode(" a b c d e f", false, false));
  EXPECT_TRUE((*s)->done());
  EXPECT_TRUE((*s)->result().cancelled);
  EXPECT_EQ((*s)->result().done_reason, sample::DoneReason::kNone);
  EXPECT_EQ(calls, 2);
}

TEST_F(SessionTest, CancelFlagIsPolled) {
  std::atomic<bool> cancel{false};
  GenerateRequest r = request("x");
  r.cancel = &cancel;
  auto s = Session::create(std::move(r), 0, 0, *tok_, 64);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE((*s)->check_cancelled());
  cancel = true;
  EXPECT_TRUE((*s)->check_cancelled());
  EXPECT_TRUE((*s)->done());
  EXPECT_TRUE((*s)->pending().empty());
}

TEST_F(SessionTest, MultiByteCharacterIsHeldUntilComplete) {
  // A character the vocabulary only covers with several byte-level tokens.
  std::vector<int32_t> ids = tok_->encode("\xF0\x9F\x98\x80", false, false);  // U+1F600
  ASSERT_GE(ids.size(), 2u);
  auto s = Session::create(request("x"), 0, 0, *tok_, 64);
  ASSERT_TRUE(s.ok());
  std::vector<std::string> pieces = feed(**s, ids);
  for (size_t i = 0; i + 1 < pieces.size(); ++i) EXPECT_EQ(pieces[i], "") << i;
  EXPECT_EQ(pieces.back(), "\xF0\x9F\x98\x80");
}

TEST_F(SessionTest, BadRequestsAreErrors) {
  GenerateRequest empty = request("");
  empty.prompt.clear();
  EXPECT_EQ(Session::create(empty, 0, 0, *tok_, 64).status().code(), StatusCode::kInvalidArgument);
  GenerateRequest long_prompt = request("one two three four five six");
  EXPECT_EQ(Session::create(long_prompt, 0, 0, *tok_, 3).status().code(), StatusCode::kInvalidArgument);
  GenerateRequest bad_id = request("x");
  bad_id.prompt.push_back(tok_->vocab_size());
  EXPECT_EQ(Session::create(bad_id, 0, 0, *tok_, 64).status().code(), StatusCode::kInvalidArgument);
  GenerateRequest all_cached = request("a b");
  EXPECT_EQ(Session::create(all_cached, 0, static_cast<int64_t>(all_cached.prompt.size()), *tok_, 64).status().code(),
            StatusCode::kInvalidArgument);
  GenerateRequest bad_temp = request("x");
  bad_temp.sampling.temperature = std::nanf("");
  EXPECT_EQ(Session::create(bad_temp, 0, 0, *tok_, 64).status().code(), StatusCode::kInvalidArgument);
  GenerateRequest bad_predict = request("x");
  bad_predict.num_predict = -3;
  EXPECT_EQ(Session::create(bad_predict, 0, 0, *tok_, 64).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace corral
