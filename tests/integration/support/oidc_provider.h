#pragma once
// Runs the project's loopback OpenID Provider (tests/oidc/provider.mjs: panva's oidc-provider,
// configured like ID-porten/BankID for patients and HelseID for systems/personnel) as a child
// process for integration tests.
//
// Start() spawns `node provider.mjs` with the working directory tests/oidc (EMG_OIDC_DIR) and
//   OIDC_PORT=0 OIDC_HOST=127.0.0.1 OIDC_M2M_PUBKEY_PEM=<generated public key>
//   [OIDC_JWKS_FILE=<options.jwks_file>] <options.env...>
// (inherited OIDC_* variables are dropped so runs are hermetic), and waits for its
// `READY <issuer> port=<n> pid=<pid>` line. It fails with a clear error() - it never skips - when
// `node` (PATH, or $EMG_NODE_BINARY) or tests/oidc/node_modules is missing: run
// `scripts/install-deps.sh --test`.
//
// The M2M test key pair (RSA-2048, `openssl` CLI) is generated at the first Start() into a
// temporary directory, kept across restarts of the same object and removed by the destructor.
// Clients known to the provider (see tests/oidc/README.md): emeistring-gateway (confidential,
// secret kGatewayClientSecret), emeistring-native (public), helseid-like-system plus any ids in
// OIDC_M2M_CLIENTS (private_key_jwt with m2m_private_key_pem(), kid "m2m-1").

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "integration/support/http_client.h"

namespace emg::test {

inline constexpr std::string_view kGatewayClientId = "emeistring-gateway";
inline constexpr std::string_view kGatewayClientSecret = "test-only-secret-0123456789abcdef";
inline constexpr std::string_view kDefaultRedirectUri = "http://127.0.0.1:8400/callback";

struct OidcProviderOptions {
  // Extra environment for the provider, e.g. {"OIDC_BACKCHANNEL_LOGOUT_URI", "..."},
  // {"OIDC_M2M_CLIENTS", "ehr,helsenorge,registry"}, {"OIDC_ACCESS_TOKEN_TTL", "5"}.
  std::vector<std::pair<std::string, std::string>> env;
  // When non-empty: OIDC_JWKS_FILE (keys are created there if missing, else reused -> rotation).
  std::string jwks_file;
};

class OidcProvider {
 public:
  explicit OidcProvider(OidcProviderOptions options = {});
  ~OidcProvider();  // Stop(); removes the key directory
  OidcProvider(const OidcProvider&) = delete;
  OidcProvider& operator=(const OidcProvider&) = delete;

  // Spawns the provider and waits for READY. False (reason in error()) on a missing node or
  // node_modules, a key generation failure, an early exit or a timeout.
  bool Start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // SIGTERM, waits up to 5 s, then SIGKILL. Safe to call when not running.
  void Stop();

  const std::string& issuer() const { return issuer_; }  // http://127.0.0.1:<port>
  uint16_t port() const { return port_; }
  const std::string& error() const { return error_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  std::string m2m_private_key_pem() const;  // PKCS#8 PEM; empty before the first Start()
  std::string m2m_public_key_pem() const;
  const std::string& key_dir() const { return key_dir_; }

  // Everything the provider printed (stdout and stderr, all runs), one line per entry.
  std::vector<std::string> OutputLines() const;
  std::string OutputText() const;

 private:
  bool EnsureKeys();
  void ReadOutput(int out_fd, int err_fd);

  OidcProviderOptions options_;
  std::string key_dir_;
  std::string issuer_;
  std::string error_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
  bool output_closed_ = true;
};

// A minimal browser-like cookie jar for driving login flows with HttpClient: remembers
// name=value from Set-Cookie (ignoring Path/Domain; deletes on an empty value, Max-Age=0 or an
// expiry in 1970) and sends them all back.
class CookieJar {
 public:
  void Update(const HttpResult& response);
  std::string Header() const;  // "a=1; b=2", empty when there are none
  // `headers` plus a Cookie header when the jar is not empty.
  Headers With(Headers headers = {}) const;
  bool Has(const std::string& name) const { return cookies_.count(name) != 0; }
  void Clear() { cookies_.clear(); }

 private:
  std::map<std::string, std::string> cookies_;
};

// Percent-encodes everything except RFC 3986 unreserved characters.
std::string UrlEncode(std::string_view s);
// Value of query parameter `name` in a URL (percent-decoded, '+' as space), or empty.
std::string QueryParam(std::string_view url, std::string_view name);
// The path+query of `location` when it is on `issuer` (absolute) or already relative ("/..."),
// else empty.
std::string TargetOn(std::string_view issuer, std::string_view location);

}  // namespace emg::test
