#pragma once
// JWS compact serialization (RFC 7515 §7.1): parsing, signature verification and signing.
// Parsing is strict and bounded; nothing here decides whether a token is *acceptable* (that
// is jwt.h's job), only whether its signature is valid under a given key and algorithm.
// Error messages never repeat the token or anything decoded from it.

#include <string>
#include <string_view>

#include "common/status.h"
#include "fhir/json/value.h"
#include "jose/jose.h"

namespace jose {

// Compact tokens larger than this are refused before any decoding.
inline constexpr size_t kMaxCompactJwsBytes = 16 * 1024;

struct Jws {
  fhir::json::Value header;   // a JSON object with a string `alg`
  std::string payload;        // decoded bytes
  std::string signing_input;  // "b64header.b64payload", exactly as received
  std::string signature;      // decoded bytes
};

// Exactly three dot-separated base64url parts; the header is a JSON object with a string
// `alg` and no `crit` (we understand no extensions, so any critical one must fail).
// Failures are kUnauthenticated.
common::StatusOr<Jws> ParseCompact(std::string_view token);

// Checks that the header names `alg`, that `key` supports it and that the signature verifies.
// RS* = RSASSA-PKCS1-v1_5, PS* = RSASSA-PSS (MGF1 with the same hash, salt = hash length),
// ES* = ECDSA with raw r||s signatures. Fails closed with kUnauthenticated.
common::Status VerifySignature(const Jws& jws, const PublicKey& key, Alg alg);

// Serializes `payload` (compact JSON), sets `alg` in `header` (an object, or null for an empty
// one) and signs. ES* signatures come out in raw r||s form.
common::StatusOr<std::string> SignCompact(fhir::json::Value header,
                                          const fhir::json::Value& payload, const PrivateKey& key,
                                          Alg alg);

}  // namespace jose
