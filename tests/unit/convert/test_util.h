// Helpers for the converter tests: golden paths, temporary folders, sha256 of tensor data.
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "store/digest.h"
#include "util/file.h"

namespace corral::convert::testing {

inline std::string golden_dir() { return std::string(CORRAL_REPO_DIR) + "/tests/golden/convert"; }

inline nlohmann::json read_golden_json(const std::string& name) {
  auto text = read_file(golden_dir() + "/" + name);
  return text.ok() ? nlohmann::json::parse(*text) : nlohmann::json();
}

inline std::string sha256_hex(std::span<const std::byte> data) {
  return std::string(store::Sha256::of(std::string_view(reinterpret_cast<const char*>(data.data()), data.size())).hex());
}

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("corral-conv-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace corral::convert::testing
