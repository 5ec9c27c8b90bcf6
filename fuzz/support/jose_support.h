#pragma once
// Shared by the JOSE fuzz targets: a signing key made at start, so that a target can sign
// what the fuzzer wrote and reach the checks behind the signature (claims, DPoP binding)
// that a forged signature never passes.

#include <string>
#include <string_view>

#include "common/time.h"
#include "jose/jose.h"

namespace emg_fuzz {

// An ES256 key, generated once per process (its kid is "fuzz-key").
const jose::PrivateKey& SigningKey();
const jose::PublicKey& VerifyingKey();

// "b64url(header).b64url(payload).b64url(signature)", signed with SigningKey() over the
// bytes given (they need not be JSON).
std::string SignRaw(std::string_view header, std::string_view payload);

// 2024-01-01T00:00:00Z: the "now" of every check, so runs replay alike. Seeds use it.
common::SystemTime FixedNow();

}  // namespace emg_fuzz
