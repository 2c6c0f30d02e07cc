#include "cli/progress_bar.h"

#include <unistd.h>

#include <cinttypes>

#include "cli/store_cmds.h"

namespace corral::cli {

TransferProgress::TransferProgress(std::FILE* out) : out_(out), tty_(::isatty(::fileno(out)) != 0) {}

void TransferProgress::finish() {
  if (open_line_) std::fputc('\n', out_);
  open_line_ = false;
  std::fflush(out_);
}

void TransferProgress::update(const registry::Progress& p) {
  const auto now = std::chrono::steady_clock::now();
  if (p.digest.empty()) {
    finish();
    std::fprintf(out_, "%s\n", p.status.c_str());
    std::fflush(out_);
    digest_.clear();
    return;
  }
  if (p.digest != digest_) {
    finish();
    digest_ = p.digest;
    start_ = now;
    start_bytes_ = p.completed;
    last_draw_ = {};
  }
  if (p.done) {
    draw(p, true);
    digest_.clear();
    return;
  }
  if (tty_ && now - last_draw_ >= std::chrono::milliseconds(100)) {
    draw(p, false);
    last_draw_ = now;
  }
}

void TransferProgress::draw(const registry::Progress& p, bool final_line) {
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const uint64_t moved = p.completed >= start_bytes_ ? p.completed - start_bytes_ : 0;
  const double rate = secs > 0.05 ? static_cast<double>(moved) / secs : 0.0;
  const int pct = p.total == 0 ? 100 : static_cast<int>(100.0 * static_cast<double>(p.completed) / static_cast<double>(p.total));
  std::string line = p.status + " " + std::to_string(pct) + "% ";
  if (tty_) {
    constexpr int kWidth = 25;
    const int fill = pct * kWidth / 100;
    line += "\u2595";
    for (int i = 0; i < kWidth; ++i) line += i < fill ? "\u2588" : " ";
    line += "\u258f ";
  }
  line += human_bytes(p.completed) + "/" + human_bytes(p.total);
  if (rate > 0) line += "  " + human_bytes(static_cast<uint64_t>(rate)) + "/s";
  if (!final_line && rate > 0 && p.total > p.completed) {
    line += "  " + std::to_string(static_cast<uint64_t>(static_cast<double>(p.total - p.completed) / rate)) + "s";
  }
  if (final_line && p.resumed > 0) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "  (resumed at %" PRIu64 " bytes)", p.resumed);
    line += buf;
  }
  if (tty_) {
    std::fprintf(out_, "\r\033[K%s", line.c_str());
    open_line_ = true;
    if (final_line) finish();
  } else if (final_line) {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

}  // namespace corral::cli
