#include "integration/support/oidc_provider.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/file.h"
#include "common/url.h"
#include "integration/support/child_process.h"
#include "integration/support/gateway_process.h"  // MakeTempDir

namespace emg::test {
namespace {

bool IsExecutable(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

// `name` looked up on $PATH, or empty.
std::string FindOnPath(std::string_view name) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!rest.empty()) {
    size_t colon = rest.find(':');
    std::string_view dir = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    if (dir.empty()) continue;
    std::string candidate = std::string(dir) + "/" + std::string(name);
    if (IsExecutable(candidate)) return candidate;
  }
  return {};
}

std::string NodeBinary() {
  if (const char* env = std::getenv("EMG_NODE_BINARY"); env != nullptr && *env != '\0') return env;
  return FindOnPath("node");
}

// Runs a short command to completion; returns "" on success, else a description with stderr.
std::string RunTool(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  std::string shown;
  for (const auto& a : argv) shown += (shown.empty() ? "" : " ") + a;
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return "pipe failed";
  ExecArgs e = BuildExecArgs(std::move(argv), {}, "OIDC_");
  pid_t pid = Spawn(e, {}, -1, err_pipe[1]);
  close(err_pipe[1]);
  if (pid < 0) {
    close(err_pipe[0]);
    return "fork failed";
  }
  std::string err;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fd{err_pipe[0], POLLIN, 0};
  while (std::chrono::steady_clock::now() < deadline) {
    int r = poll(&fd, 1, 100);
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    char buf[1024];
    ssize_t n = read(err_pipe[0], buf, sizeof buf);
    if (n > 0) {
      err.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(err_pipe[0]);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return "`" + shown + "` timed out";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  return "`" + shown + "` failed (status " + std::to_string(status) + "): " + err;
}

std::string ReadFile(const std::string& path) { return common::ReadFile(path).value_or(""); }

// "READY http://127.0.0.1:41234 port=41234 pid=123" -> issuer and port.
bool ParseReady(const std::string& line, std::string& issuer, uint16_t& port) {
  if (!line.starts_with("READY ")) return false;
  size_t end = line.find(' ', 6);
  if (end == std::string::npos) return false;
  std::string iss = line.substr(6, end - 6);
  size_t p = line.find(" port=", end);
  if (p == std::string::npos) return false;
  p += 6;
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(line.data() + p, line.data() + line.size(), value);
  if (ec != std::errc() || value == 0 || value > 65535) return false;
  if (iss != "http://127.0.0.1:" + std::to_string(value)) return false;
  issuer = std::move(iss);
  port = static_cast<uint16_t>(value);
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// Form-decoded; text with a malformed escape is kept as it is (this is a test client).
std::string UrlDecode(std::string_view s) {
  return common::PercentDecode(s, {.plus_as_space = true}).value_or(std::string(s));
}

}  // namespace

// ------------------------------------------------------------------------------ OidcProvider

OidcProvider::OidcProvider(OidcProviderOptions options) : options_(std::move(options)) {}

OidcProvider::~OidcProvider() {
  Stop();
  if (reader_.joinable()) reader_.join();
  if (!key_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(key_dir_, ec);
  }
}

bool OidcProvider::EnsureKeys() {
  if (!key_dir_.empty() && std::filesystem::exists(key_dir_ + "/m2m.pub.pem")) return true;
  std::string openssl = FindOnPath("openssl");
  if (openssl.empty()) {
    error_ =
        "the `openssl` command is not on PATH (needed for the M2M test key); run "
        "scripts/install-deps.sh";
    return false;
  }
  if (key_dir_.empty()) key_dir_ = MakeTempDir("emg-oidc-test");
  if (key_dir_.empty()) {
    error_ = "cannot create a temporary directory";
    return false;
  }
  const std::string priv = key_dir_ + "/m2m.pem";
  const std::string pub = key_dir_ + "/m2m.pub.pem";
  std::string err = RunTool(
      {openssl, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", priv},
      std::chrono::seconds(30));
  if (err.empty()) {
    err = RunTool({openssl, "pkey", "-in", priv, "-pubout", "-out", pub}, std::chrono::seconds(30));
  }
  if (!err.empty()) {
    error_ = "M2M test key generation failed: " + err;
    return false;
  }
  return true;
}

bool OidcProvider::Start(std::chrono::milliseconds timeout) {
  error_.clear();
  if (running()) {
    error_ = "already running";
    return false;
  }
  if (reader_.joinable()) reader_.join();
  issuer_.clear();
  port_ = 0;

  const std::string dir = EMG_OIDC_DIR;
  const std::string node = NodeBinary();
  if (node.empty() || !IsExecutable(node)) {
    error_ =
        "node (Node.js) not found on PATH (or $EMG_NODE_BINARY): the OIDC test provider "
        "needs it; run scripts/install-deps.sh --test";
    return false;
  }
  if (!std::filesystem::exists(dir + "/provider.mjs")) {
    error_ = dir + "/provider.mjs is missing";
    return false;
  }
  if (!std::filesystem::exists(dir + "/node_modules/oidc-provider/package.json")) {
    error_ = dir +
             "/node_modules is missing (oidc-provider not installed): run "
             "scripts/install-deps.sh --test (npm ci in tests/oidc)";
    return false;
  }
  if (!EnsureKeys()) return false;

  Env env = {{"OIDC_PORT", "0"},
             {"OIDC_HOST", "127.0.0.1"},
             {"OIDC_M2M_PUBKEY_PEM", key_dir_ + "/m2m.pub.pem"}};
  if (!options_.jwks_file.empty()) env.emplace_back("OIDC_JWKS_FILE", options_.jwks_file);
  for (const auto& kv : options_.env) {  // the test's values win
    std::erase_if(env, [&](const auto& d) { return d.first == kv.first; });
    env.push_back(kv);
  }

  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    error_ = "pipe failed";
    return false;
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    error_ = "pipe failed";
    return false;
  }
  ExecArgs e = BuildExecArgs({node, dir + "/provider.mjs"}, env, "OIDC_");
  size_t first_line;
  {
    std::lock_guard lock(mutex_);
    output_closed_ = false;
    first_line = lines_.size();
  }
  pid_ = Spawn(e, dir, out_pipe[1], err_pipe[1]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (pid_ < 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    error_ = "fork failed";
    std::lock_guard lock(mutex_);
    output_closed_ = true;
    return false;
  }
  reader_ = std::thread([this, o = out_pipe[0], r = err_pipe[0]] { ReadOutput(o, r); });

  bool ready = false;
  {
    std::unique_lock lock(mutex_);
    bool done = changed_.wait_for(lock, timeout, [&] {
      for (size_t i = first_line; i < lines_.size(); ++i) {
        if (ParseReady(lines_[i], issuer_, port_)) {
          ready = true;
          return true;
        }
      }
      return output_closed_;
    });
    if (!ready) {
      error_ = done ? "the OIDC provider exited before READY" : "timed out waiting for READY";
      std::string output;
      for (size_t i = first_line; i < lines_.size(); ++i) output += "\n  " + lines_[i];
      if (!output.empty()) error_ += "; output:" + output;
    }
  }
  if (!ready) Stop();
  return ready;
}

void OidcProvider::Stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    bool exited = false;
    while (std::chrono::steady_clock::now() < deadline) {
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno != EINTR)) {
        exited = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!exited) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }
  if (reader_.joinable()) reader_.join();
}

void OidcProvider::ReadOutput(int out_fd, int err_fd) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string partial[2];
  int open_fds = 2;
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      std::lock_guard lock(mutex_);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        if (!partial[i].empty()) lines_.push_back(std::move(partial[i]));
        partial[i].clear();
      } else {
        partial[i].append(buf, static_cast<size_t>(n));
        size_t nl;
        while ((nl = partial[i].find('\n')) != std::string::npos) {
          lines_.push_back(partial[i].substr(0, nl));
          partial[i].erase(0, nl + 1);
        }
      }
      changed_.notify_all();
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  std::lock_guard lock(mutex_);
  output_closed_ = true;
  changed_.notify_all();
}

std::string OidcProvider::m2m_private_key_pem() const {
  return key_dir_.empty() ? std::string{} : ReadFile(key_dir_ + "/m2m.pem");
}

std::string OidcProvider::m2m_public_key_pem() const {
  return key_dir_.empty() ? std::string{} : ReadFile(key_dir_ + "/m2m.pub.pem");
}

std::vector<std::string> OidcProvider::OutputLines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::string OidcProvider::OutputText() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& l : lines_) {
    out += l;
    out += '\n';
  }
  return out;
}

// ------------------------------------------------------------------------------ helpers

void CookieJar::Update(const HttpResult& response) {
  for (const auto& [name, value] : response.headers) {
    if (name != "set-cookie") continue;
    std::string_view v(value);
    size_t semi = v.find(';');
    std::string_view pair = v.substr(0, semi);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    std::string cname = Trim(pair.substr(0, eq));
    std::string cvalue = Trim(pair.substr(eq + 1));
    std::string attrs = semi == std::string_view::npos ? std::string{} : Lower(v.substr(semi));
    bool expired = cvalue.empty() || attrs.find("max-age=0") != std::string::npos ||
                   attrs.find("1970") != std::string::npos;
    if (expired) {
      cookies_.erase(cname);
    } else {
      cookies_[cname] = cvalue;
    }
  }
}

std::string CookieJar::Header() const {
  std::string out;
  for (const auto& [name, value] : cookies_) {
    if (!out.empty()) out += "; ";
    out += name + "=" + value;
  }
  return out;
}

Headers CookieJar::With(Headers headers) const {
  if (!cookies_.empty()) headers.emplace_back("Cookie", Header());
  return headers;
}

std::string UrlEncode(std::string_view s) { return common::PercentEncode(s); }

std::string QueryParam(std::string_view url, std::string_view name) {
  size_t q = url.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = url.substr(q + 1);
  if (size_t hash = query.find('#'); hash != std::string_view::npos) query = query.substr(0, hash);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    size_t eq = part.find('=');
    if (UrlDecode(part.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string{} : UrlDecode(part.substr(eq + 1));
    }
  }
  return {};
}

std::string TargetOn(std::string_view issuer, std::string_view location) {
  if (location.starts_with("/")) return std::string(location);
  if (location.starts_with(issuer) && location.size() > issuer.size() &&
      location[issuer.size()] == '/') {
    return std::string(location.substr(issuer.size()));
  }
  return {};
}

}  // namespace emg::test
