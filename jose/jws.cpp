#include "jose/jws.h"

#include <cstddef>

#include "common/base64.h"
#include "fhir/json/parser.h"
#include "fhir/json/writer.h"

namespace jose {
namespace {

common::Status Fail(std::string message) {
  return common::Status(common::Code::kUnauthenticated, std::move(message));
}

// JOSE headers are a handful of short members (a DPoP header carries a JWK); the depth bound
// keeps hostile nesting cheap.
constexpr fhir::json::ParseLimits kHeaderLimits{kMaxCompactJwsBytes, 8};

}  // namespace

common::StatusOr<Jws> ParseCompact(std::string_view token) {
  if (token.empty()) return common::Error(Fail("missing token"));
  if (token.size() > kMaxCompactJwsBytes) return common::Error(Fail("token too large"));
  const size_t first = token.find('.');
  const size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return common::Error(Fail("malformed token"));
  }
  const std::string_view b64_header = token.substr(0, first);
  const std::string_view b64_payload = token.substr(first + 1, second - first - 1);
  const std::string_view b64_signature = token.substr(second + 1);

  auto header_json = common::Base64UrlDecode(b64_header);
  auto payload = common::Base64UrlDecode(b64_payload);
  auto signature = common::Base64UrlDecode(b64_signature);
  if (!header_json || !payload || !signature || header_json->empty()) {
    return common::Error(Fail("malformed token"));
  }
  // The parser's own message may quote member names from the token: replace it.
  auto header = fhir::json::Parse(*header_json, kHeaderLimits);
  if (!header || !header->is_object()) return common::Error(Fail("malformed token header"));
  const fhir::json::Value* alg = header->Find("alg");
  if (alg == nullptr || !alg->is_string()) return common::Error(Fail("token header without alg"));
  // RFC 7515 §4.1.11: a recipient that does not understand a critical extension must reject.
  if (header->Find("crit") != nullptr) return common::Error(Fail("critical header not supported"));

  Jws jws;
  jws.header = std::move(*header);
  jws.payload = std::move(*payload);
  jws.signing_input = std::string(token.substr(0, second));
  jws.signature = std::move(*signature);
  return jws;
}

common::Status VerifySignature(const Jws& jws, const PublicKey& key, Alg alg) {
  // The caller chose `alg` from its allow-list; the header must agree so that a token cannot
  // be checked under an algorithm other than the one its signer claimed.
  const fhir::json::Value* header_alg = jws.header.Find("alg");
  if (header_alg == nullptr || !header_alg->is_string() || header_alg->text() != AlgName(alg)) {
    return Fail("algorithm mismatch");
  }
  if (!key.Supports(alg)) return Fail("key does not support the algorithm");
  if (jws.signature.empty()) return Fail("invalid signature");
  return key.Verify(alg, jws.signing_input, jws.signature);
}

common::StatusOr<std::string> SignCompact(fhir::json::Value header,
                                          const fhir::json::Value& payload, const PrivateKey& key,
                                          Alg alg) {
  if (header.is_null()) header = fhir::json::Value::Object();
  if (!header.is_object()) {
    return common::Error(common::Code::kInvalidArgument, "JWS header must be an object");
  }
  header.SetAfter("", "alg", fhir::json::Value::String(std::string(AlgName(alg))));
  std::string signing_input = common::Base64UrlEncode(fhir::json::Write(header)) + "." +
                              common::Base64UrlEncode(fhir::json::Write(payload));
  ASSIGN_OR_RETURN(std::string signature, key.Sign(alg, signing_input));
  return signing_input + "." + common::Base64UrlEncode(signature);
}

}  // namespace jose
