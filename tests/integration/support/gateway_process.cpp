#include "integration/support/gateway_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "integration/support/child_process.h"

namespace emg::test {
namespace {

// The gateway's default terminology.dir ("mappings/terminology") is relative to the working
// directory; the tests run from the build tree, so the child gets the source tree's directory
// unless the test sets EMG_TERMINOLOGY_DIR itself.
Env WithDefaults(const Env& env) {
  Env out = env;
  auto default_to = [&](std::string name, std::string value) {
    for (const auto& [k, v] : env) {
      if (k == name) return;
    }
    out.emplace_back(std::move(name), std::move(value));
  };
  default_to("EMG_TERMINOLOGY_DIR", EMG_SOURCE_DIR "/mappings/terminology");
  // Tests of other features talk to the FHIR API without credentials; the identity and
  // access tests set EMG_AUTH_MODE=enforce themselves.
  default_to("EMG_AUTH_MODE", "off");
  default_to("EMG_AUTH_COMPARTMENT_FILE",
             EMG_SOURCE_DIR "/mappings/access/patient-compartment.json");
  return out;
}

ExecArgs GatewayExecArgs(const std::vector<std::string>& args, const Env& test_env) {
  std::vector<std::string> argv{GatewayBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return BuildExecArgs(std::move(argv), WithDefaults(test_env));
}

std::optional<uint16_t> ListeningPort(const std::string& line) {
  if (line.find("\"event\":\"listening\"") == std::string::npos) return std::nullopt;
  size_t p = line.find("\"port\":");
  if (p == std::string::npos) return std::nullopt;
  p += 7;
  unsigned port = 0;
  auto [end, ec] = std::from_chars(line.data() + p, line.data() + line.size(), port);
  if (ec != std::errc() || port == 0 || port > 65535) return std::nullopt;
  return static_cast<uint16_t>(port);
}

}  // namespace

std::string GatewayBinary() {
  if (const char* env = std::getenv("EMG_GATEWAY_BINARY"); env != nullptr && *env != '\0') {
    return env;
  }
  return EMG_GATEWAY_BINARY;
}

std::string MakeTempDir(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp && *tmp ? tmp : "/tmp") + "/" + std::string(prefix) + "-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) return {};
  return std::string(buf.data());
}

RunResult RunGateway(const std::vector<std::string>& args, const Env& env,
                     std::chrono::milliseconds timeout) {
  RunResult result;
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return result;
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return result;
  }
  ExecArgs e = GatewayExecArgs(args, env);
  pid_t pid = Spawn(e, {}, out_pipe[1], err_pipe[1]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  while (open_fds > 0 && std::chrono::steady_clock::now() < deadline) {
    if (poll(fds, 2, 100) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  if (pid < 0) return result;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      result.exit_code = DecodeStatus(status);
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return result;
}

GatewayProcess::GatewayProcess(GatewayOptions options) : options_(std::move(options)) {
  root_dir_ = MakeTempDir("emg-gateway-test");
  data_dir_ = root_dir_ + "/data";
}

GatewayProcess::~GatewayProcess() {
  if (running()) {
    Kill();
    WaitForExit(std::chrono::seconds(10));
  }
  if (reader_.joinable()) reader_.join();
  // A sanitizer finding in the gateway (a data race, a leak, undefined behaviour) fails the
  // test that ran it, even when every answer the test checked was right.
  for (const std::string& line : StderrLines()) {
    if (line.find("WARNING: ThreadSanitizer") != std::string::npos ||
        line.find("ERROR: AddressSanitizer") != std::string::npos ||
        line.find("ERROR: LeakSanitizer") != std::string::npos ||
        line.find("runtime error:") != std::string::npos) {
      ADD_FAILURE() << "the gateway reported a sanitizer finding:\n" << StderrText();
      break;
    }
  }
  if (!root_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(root_dir_, ec);
  }
}

bool GatewayProcess::Start(std::chrono::milliseconds timeout) {
  error_.clear();
  port_ = 0;
  if (running()) {
    error_ = "already running";
    return false;
  }
  if (reader_.joinable()) reader_.join();
  std::vector<std::string> args = {"serve"};
  if (options_.pass_listen) {
    args.push_back("--listen");
    args.push_back("127.0.0.1:0");
  }
  if (options_.pass_data) {
    args.push_back("--data");
    args.push_back(data_dir_);
  }
  if (!options_.config_json.empty()) {
    std::string path = root_dir_ + "/config.json";
    std::ofstream(path) << options_.config_json;
    args.push_back("--config");
    args.push_back(path);
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());

  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    error_ = "pipe failed";
    return false;
  }
  ExecArgs e = GatewayExecArgs(args, options_.env);
  size_t first_line;
  {
    std::lock_guard lock(mutex_);
    stderr_closed_ = false;
    first_line = lines_.size();
  }
  pid_ = Spawn(e, {}, -1, err_pipe[1]);
  close(err_pipe[1]);
  if (pid_ < 0) {
    close(err_pipe[0]);
    error_ = "fork failed";
    std::lock_guard lock(mutex_);
    stderr_closed_ = true;
    return false;
  }
  reader_ = std::thread([this, fd = err_pipe[0]] { ReadStderr(fd); });

  std::unique_lock lock(mutex_);
  bool found = changed_.wait_for(lock, timeout, [&] {
    for (size_t i = first_line; i < lines_.size(); ++i) {
      if (auto port = ListeningPort(lines_[i])) {
        port_ = *port;
        return true;
      }
    }
    return stderr_closed_;
  });
  if (found && port_ != 0) return true;
  error_ = found ? "the gateway exited before listening" : "timed out waiting for listening";
  return false;
}

void GatewayProcess::ReadStderr(int fd) {
  std::string partial;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    partial.append(buf, static_cast<size_t>(n));
    size_t nl;
    std::lock_guard lock(mutex_);
    while ((nl = partial.find('\n')) != std::string::npos) {
      lines_.push_back(partial.substr(0, nl));
      partial.erase(0, nl + 1);
    }
    changed_.notify_all();
  }
  close(fd);
  std::lock_guard lock(mutex_);
  if (!partial.empty()) lines_.push_back(partial);
  stderr_closed_ = true;
  changed_.notify_all();
}

void GatewayProcess::Terminate() {
  if (running()) kill(pid_, SIGTERM);
}

void GatewayProcess::Interrupt() {
  if (running()) kill(pid_, SIGINT);
}

void GatewayProcess::Kill() {
  if (running()) kill(pid_, SIGKILL);
}

std::optional<int> GatewayProcess::WaitForExit(std::chrono::milliseconds timeout) {
  if (!running()) return std::nullopt;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (r < 0 && errno != EINTR) return std::nullopt;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
  return DecodeStatus(status);
}

std::vector<std::string> GatewayProcess::StderrLines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::string GatewayProcess::StderrText() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& l : lines_) {
    out += l;
    out += '\n';
  }
  return out;
}

bool GatewayProcess::WaitForStderr(std::string_view needle, std::chrono::milliseconds timeout,
                                   size_t from) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    for (size_t i = from; i < lines_.size(); ++i) {
      if (lines_[i].find(needle) != std::string::npos) return true;
    }
    return false;
  });
}

}  // namespace emg::test
