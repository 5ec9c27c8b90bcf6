#include "common/base64.h"

#include <array>
#include <cstdint>

namespace common {
namespace {

constexpr char kStandard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

using Table = std::array<int8_t, 256>;
constexpr Table MakeTable(const char (&alphabet)[65]) {
  Table t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr Table kStandardTable = MakeTable(kStandard);
constexpr Table kUrlTable = MakeTable(kUrl);

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string Encode(std::string_view bytes, const char (&alphabet)[65], bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v =
        (static_cast<uint32_t>(in[i]) << 16) | (static_cast<uint32_t>(in[i + 1]) << 8) | in[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (i < bytes.size()) {  // one or two bytes left: two or three symbols
    uint32_t v = static_cast<uint32_t>(in[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint32_t>(in[i + 1]) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (i + 1 < bytes.size()) out += alphabet[(v >> 6) & 63];
    if (pad) out.append(i + 1 < bytes.size() ? 1 : 2, '=');
  }
  return out;
}

// Accumulates 6-bit symbols into bytes; rejects non-zero leftover bits at the end.
class Decoder {
 public:
  explicit Decoder(size_t size_hint) { out_.reserve(size_hint / 4 * 3 + 2); }
  void Add(int8_t symbol) {
    acc_ = ((acc_ << 6) | static_cast<uint32_t>(symbol)) & 0xFFFFFF;
    bits_ += 6;
    if (bits_ >= 8) {
      bits_ -= 8;
      out_ += static_cast<char>((acc_ >> bits_) & 0xFF);
    }
  }
  std::optional<std::string> Finish() {
    if (bits_ > 0 && (acc_ & ((1u << bits_) - 1)) != 0) return std::nullopt;
    return std::move(out_);
  }

 private:
  std::string out_;
  uint32_t acc_ = 0;
  int bits_ = 0;
};

}  // namespace

std::string Base64Encode(std::string_view bytes) { return Encode(bytes, kStandard, true); }

std::optional<std::string> Base64Decode(std::string_view text) {
  Decoder decoder(text.size());
  size_t symbols = 0;
  int padding = 0;
  for (char c : text) {
    if (IsSpace(c)) continue;
    if (c == '=') {
      ++padding;
      ++symbols;
      continue;
    }
    if (padding > 0) return std::nullopt;  // data after padding
    const int8_t v = kStandardTable[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    ++symbols;
    decoder.Add(v);
  }
  if (symbols % 4 != 0 || padding > 2) return std::nullopt;
  return decoder.Finish();
}

std::string Base64UrlEncode(std::string_view bytes) { return Encode(bytes, kUrl, false); }

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;  // no byte count encodes to this length
  Decoder decoder(text.size());
  for (char c : text) {
    const int8_t v = kUrlTable[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;  // '=', '+', '/', white space and the rest
    decoder.Add(v);
  }
  return decoder.Finish();
}

}  // namespace common
