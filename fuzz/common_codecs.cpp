// Fuzz target: the codecs every layer uses on untrusted text (common/): base64 (FHIR
// base64Binary, KITH Base64Container), base64url (JOSE, PKCE), percent-decoding and form
// decoding (request targets, form posts, SMART scope filters), http(s) URL parsing, HTTP dates
// and Norwegian identity numbers. Besides "no crash", it checks that each decoder is the exact
// inverse of its encoder, so a decoder that accepts two spellings of one value (a signature or
// thumbprint re-encoded unnoticed) or loses bytes is found.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/base64.h"
#include "common/norwegian_id.h"
#include "common/time.h"
#include "common/url.h"
#include "fuzz/support/harness.h"

namespace {

std::string WithoutSpace(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

void Base64(std::string_view data) {
  // Every byte string survives a round trip through both alphabets.
  auto std_round = common::Base64Decode(common::Base64Encode(data));
  EMG_FUZZ_CHECK(std_round.has_value() && *std_round == data, "base64 round trip");
  auto url_round = common::Base64UrlDecode(common::Base64UrlEncode(data));
  EMG_FUZZ_CHECK(url_round.has_value() && *url_round == data, "base64url round trip");

  // What a decoder accepts is the one canonical spelling of its bytes (white space aside for
  // the standard alphabet, which KITH breaks into lines).
  if (auto bytes = common::Base64Decode(data)) {
    EMG_FUZZ_CHECK(common::Base64Encode(*bytes) == WithoutSpace(data),
                   "base64: accepted text is not the canonical encoding of its bytes");
  }
  if (auto bytes = common::Base64UrlDecode(data)) {
    EMG_FUZZ_CHECK(common::Base64UrlEncode(*bytes) == data,
                   "base64url: accepted text is not the canonical encoding of its bytes");
  }
}

void Percent(std::string_view data) {
  for (std::string_view keep : {std::string_view(), common::kSearchLinkKeep}) {
    std::string encoded = common::PercentEncode(data, keep);
    auto decoded = common::PercentDecode(encoded);
    EMG_FUZZ_CHECK(decoded.has_value() && *decoded == data, "percent-encoding round trip");
    auto form = common::PercentDecode(encoded, {.plus_as_space = true});
    // '+' is never left literal by PercentEncode unless kept, so form decoding may differ only
    // where '+' was kept.
    if (keep.find('+') == std::string_view::npos) {
      EMG_FUZZ_CHECK(form.has_value() && *form == data, "form decoding of percent-encoding");
    }
  }
  auto strict = common::PercentDecode(data, {.allow_nul = false});
  if (strict) {
    EMG_FUZZ_CHECK(strict->find('\0') == std::string::npos, "%00 accepted where refused");
    auto lax = common::PercentDecode(data);
    EMG_FUZZ_CHECK(lax.has_value() && *lax == *strict, "allow_nul changed other bytes");
  }
  for (char c : data) (void)common::HexDigitValue(c);
}

void Form(std::string_view data) {
  auto pairs = common::ParseFormUrlEncoded(data);
  if (!pairs) return;
  // Written back (as a client would send them) they read the same.
  std::string again;
  for (const auto& [name, value] : *pairs) {
    if (!again.empty()) again += '&';
    again += common::PercentEncode(name) + "=" + common::PercentEncode(value);
  }
  auto reparsed = common::ParseFormUrlEncoded(again);
  EMG_FUZZ_CHECK(reparsed.has_value() && *reparsed == *pairs, "form round trip");
}

void Url(std::string_view data) {
  auto url = common::ParseHttpUrl(data);
  if (!url) return;
  EMG_FUZZ_CHECK(!url->host.empty(), "URL without host accepted");
  EMG_FUZZ_CHECK(url->port != 0, "URL with port 0 accepted");
  EMG_FUZZ_CHECK(!url->target.empty() && url->target.front() == '/',
                 "URL target does not start with /");
  EMG_FUZZ_CHECK(url->target.find('#') == std::string::npos, "URL with a fragment accepted");
}

void Dates(std::string_view data) {
  common::SystemTime t{};
  if (common::ParseHttpDate(std::string(data), &t)) {
    // A date we accept can be written back and read again to the same instant.
    common::SystemTime again{};
    EMG_FUZZ_CHECK(common::ParseHttpDate(common::FormatHttpDate(t), &again) && again == t,
                   "HTTP date round trip");
  }
}

void NationalIds(std::string_view data) {
  auto id = common::ParseNorwegianId(data);
  if (id) {
    EMG_FUZZ_CHECK(data.size() == 11, "identity number accepted with a length other than 11");
    auto digits = common::NorwegianIdCheckDigits(data.substr(0, 9));
    EMG_FUZZ_CHECK(
        digits.has_value() && data[9] - '0' == digits->first && data[10] - '0' == digits->second,
        "identity number accepted with wrong check digits");
  }
  if (data.size() >= 9) (void)common::NorwegianIdCheckDigits(data.substr(0, 9));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  Base64(data);
  Percent(data);
  Form(data);
  Url(data);
  Dates(data);
  NationalIds(data);
  return 0;
}
