#include "common/uuid.h"

#include <openssl/rand.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace common {

namespace {

// 128 bits from OpenSSL's CSPRNG: ids name resources and patients' records, so they must not
// be predictable from earlier ones (a Mersenne Twister's output is, after 312 values).
void RandomWords(uint64_t* hi, uint64_t* lo) {
  unsigned char bytes[16];
  // RAND_bytes fails only when the CSPRNG cannot be seeded: no safe id can be made then.
  if (RAND_bytes(bytes, sizeof bytes) != 1) std::abort();
  std::memcpy(hi, bytes, 8);
  std::memcpy(lo, bytes + 8, 8);
}

std::string Format(uint64_t hi, uint64_t lo) {
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

}  // namespace

std::string NewUuid() {
  uint64_t hi = 0;
  uint64_t lo = 0;
  RandomWords(&hi, &lo);
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  return Format(hi, lo);
}

std::string NewTimeOrderedUuid() {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  uint64_t random_hi = 0;
  uint64_t random_lo = 0;
  RandomWords(&random_hi, &random_lo);
  uint64_t hi = (static_cast<uint64_t>(ms) << 16) | 0x7000 | (random_hi & 0x0fff);  // version 7
  uint64_t lo = (random_lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;        // variant 10
  return Format(hi, lo);
}

}  // namespace common
