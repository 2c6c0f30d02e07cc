// Protobuf wire-format reading of sentencepiece's ModelProto (field numbers from the published
// sentencepiece_model.proto: ModelProto.pieces=1, trainer_spec=2, normalizer_spec=3;
// SentencePiece.piece=1, score=2, type=3; TrainerSpec.model_type=3, byte_fallback=35,
// unk_id=40, bos_id=41, eos_id=42, pad_id=43; NormalizerSpec.add_dummy_prefix=3).
#include "convert/spm_model.h"

#include <cstring>

namespace corral::convert {
namespace {

constexpr size_t kMaxPieces = size_t{1} << 24;

class Reader {
 public:
  Reader(std::span<const std::byte> b, size_t base) : b_(b), base_(base) {}
  bool done() const { return pos_ >= b_.size(); }
  size_t offset() const { return base_ + pos_; }

  Result<uint64_t> varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= b_.size()) return corrupt("tokenizer.model: truncated varint at byte %zu", offset());
      const auto c = static_cast<uint8_t>(b_[pos_++]);
      v |= static_cast<uint64_t>(c & 0x7f) << shift;
      if ((c & 0x80) == 0) return v;
    }
    return corrupt("tokenizer.model: varint longer than 10 bytes at byte %zu", offset());
  }
  Result<std::span<const std::byte>> bytes(uint64_t n) {
    if (n > b_.size() - pos_) {
      return corrupt("tokenizer.model: field of %llu bytes at byte %zu runs past the end",
                     static_cast<unsigned long long>(n), offset());
    }
    auto s = b_.subspan(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return s;
  }
  // Reads a key and returns (field, wire type).
  Result<std::pair<uint32_t, uint32_t>> key() {
    CORRAL_ASSIGN_OR_RETURN(uint64_t k, varint());
    if ((k >> 3) == 0 || (k >> 3) > (uint64_t{1} << 29)) {
      return corrupt("tokenizer.model: invalid field number at byte %zu", offset());
    }
    return std::pair<uint32_t, uint32_t>{static_cast<uint32_t>(k >> 3), static_cast<uint32_t>(k & 7)};
  }
  Result<float> fixed32_float() {
    CORRAL_ASSIGN_OR_RETURN(auto s, bytes(4));
    float f;
    std::memcpy(&f, s.data(), 4);
    return f;
  }
  Status skip(uint32_t wire) {
    switch (wire) {
      case 0: return varint().status().ok() ? ok_status() : varint_error();
      case 1: return bytes(8).ok() ? ok_status() : corrupt("tokenizer.model: truncated fixed64 at byte %zu", offset());
      case 2: {
        CORRAL_ASSIGN_OR_RETURN(uint64_t n, varint());
        return bytes(n).status().ok() ? ok_status() : bytes_error();
      }
      case 5: return bytes(4).ok() ? ok_status() : corrupt("tokenizer.model: truncated fixed32 at byte %zu", offset());
      default: return corrupt("tokenizer.model: unsupported wire type %u at byte %zu", wire, offset());
    }
  }
  Result<std::pair<std::span<const std::byte>, size_t>> message() {
    CORRAL_ASSIGN_OR_RETURN(uint64_t n, varint());
    const size_t start = offset();
    CORRAL_ASSIGN_OR_RETURN(auto s, bytes(n));
    return std::pair{s, start};
  }

 private:
  Status varint_error() const { return corrupt("tokenizer.model: truncated varint at byte %zu", offset()); }
  Status bytes_error() const { return corrupt("tokenizer.model: truncated field at byte %zu", offset()); }
  std::span<const std::byte> b_;
  size_t base_;
  size_t pos_ = 0;
};

Status expect_wire(uint32_t wire, uint32_t want, const char* field, size_t offset) {
  if (wire != want) return corrupt("tokenizer.model: field %s has wire type %u (expected %u) at byte %zu", field, wire, want, offset);
  return ok_status();
}

Result<SpmPiece> parse_piece(std::span<const std::byte> b, size_t base) {
  Reader r(b, base);
  SpmPiece p;
  while (!r.done()) {
    CORRAL_ASSIGN_OR_RETURN(auto k, r.key());
    if (k.first == 1) {
      CORRAL_TRY(expect_wire(k.second, 2, "SentencePiece.piece", r.offset()));
      CORRAL_ASSIGN_OR_RETURN(auto m, r.message());
      p.piece.assign(reinterpret_cast<const char*>(m.first.data()), m.first.size());
    } else if (k.first == 2) {
      CORRAL_TRY(expect_wire(k.second, 5, "SentencePiece.score", r.offset()));
      CORRAL_ASSIGN_OR_RETURN(p.score, r.fixed32_float());
    } else if (k.first == 3) {
      CORRAL_TRY(expect_wire(k.second, 0, "SentencePiece.type", r.offset()));
      CORRAL_ASSIGN_OR_RETURN(uint64_t t, r.varint());
      if (t < 1 || t > 6) return corrupt("tokenizer.model: piece type %llu out of range at byte %zu",
                                         static_cast<unsigned long long>(t), r.offset());
      p.type = static_cast<SpmPieceType>(t);
    } else {
      CORRAL_TRY(r.skip(k.second));
    }
  }
  return p;
}

Result<int32_t> as_int32(uint64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }

Status parse_trainer(std::span<const std::byte> b, size_t base, SpmModel* m) {
  Reader r(b, base);
  while (!r.done()) {
    CORRAL_ASSIGN_OR_RETURN(auto k, r.key());
    const bool is_int = k.first == 3 || k.first == 35 || (k.first >= 40 && k.first <= 43);
    if (!is_int) {
      CORRAL_TRY(r.skip(k.second));
      continue;
    }
    CORRAL_TRY(expect_wire(k.second, 0, "TrainerSpec", r.offset()));
    CORRAL_ASSIGN_OR_RETURN(uint64_t v, r.varint());
    CORRAL_ASSIGN_OR_RETURN(int32_t i, as_int32(v));
    switch (k.first) {
      case 3: m->model_type = i; break;
      case 35: m->byte_fallback = v != 0; break;
      case 40: m->unk_id = i; break;
      case 41: m->bos_id = i; break;
      case 42: m->eos_id = i; break;
      case 43: m->pad_id = i; break;
      default: break;
    }
  }
  return ok_status();
}

Status parse_normalizer(std::span<const std::byte> b, size_t base, SpmModel* m) {
  Reader r(b, base);
  while (!r.done()) {
    CORRAL_ASSIGN_OR_RETURN(auto k, r.key());
    if (k.first == 3 && k.second == 0) {
      CORRAL_ASSIGN_OR_RETURN(uint64_t v, r.varint());
      m->add_dummy_prefix = v != 0;
    } else {
      CORRAL_TRY(r.skip(k.second));
    }
  }
  return ok_status();
}

}  // namespace

Result<SpmModel> parse_spm_model(std::span<const std::byte> bytes) {
  Reader r(bytes, 0);
  SpmModel m;
  while (!r.done()) {
    CORRAL_ASSIGN_OR_RETURN(auto k, r.key());
    if (k.first >= 1 && k.first <= 3) {
      CORRAL_TRY(expect_wire(k.second, 2, "ModelProto", r.offset()));
      CORRAL_ASSIGN_OR_RETURN(auto msg, r.message());
      if (k.first == 1) {
        if (m.pieces.size() >= kMaxPieces) return corrupt("tokenizer.model: more than %zu pieces", kMaxPieces);
        CORRAL_ASSIGN_OR_RETURN(SpmPiece p, parse_piece(msg.first, msg.second));
        m.pieces.push_back(std::move(p));
      } else if (k.first == 2) {
        CORRAL_TRY(parse_trainer(msg.first, msg.second, &m));
      } else {
        CORRAL_TRY(parse_normalizer(msg.first, msg.second, &m));
      }
    } else {
      CORRAL_TRY(r.skip(k.second));
    }
  }
  if (m.pieces.empty()) return corrupt("tokenizer.model: no pieces");
  return m;
}

}  // namespace corral::convert
