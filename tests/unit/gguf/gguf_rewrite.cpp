// gguf_rewrite IN OUT: reads a GGUF with corral's reader and writes it again with corral's
// writer (a test tool for the Python cross-checks; not installed).
#include <cstdio>

#include "formats/gguf.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: gguf_rewrite IN.gguf OUT.gguf\n");
    return 2;
  }
  corral::Result<corral::GgufFile> in = corral::GgufFile::open(argv[1]);
  if (!in.ok()) {
    std::fprintf(stderr, "Error: %s\n", in.status().to_string().c_str());
    return 1;
  }
  corral::GgufWriter writer;
  corral::Status st = corral::gguf_copy_into(*in, &writer);
  if (st.ok()) st = writer.write(argv[2]);
  if (!st.ok()) {
    std::fprintf(stderr, "Error: %s\n", st.to_string().c_str());
    return 1;
  }
  return 0;
}
