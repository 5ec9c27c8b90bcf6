#pragma once
// Runs the real gateway binary as a child process for integration tests.
//
// The binary is $EMG_GATEWAY_BINARY when set in the environment, else the one CMake built
// (the EMG_GATEWAY_BINARY compile definition). Start() runs
//   <binary> serve --listen 127.0.0.1:0 --data <data dir> [--config <file>] <extra args>
// and waits for the {"event":"listening",...,"port":N} log line on stderr to learn the port.
// The data dir is a fresh temporary directory kept across restarts (Start() again after
// WaitForExit()) and removed by the destructor. Every stderr line is captured.
// Unless a test sets it, the child's EMG_TERMINOLOGY_DIR is the source tree's mappings/terminology
// and EMG_AUTH_COMPARTMENT_FILE the source tree's mappings/access/patient-compartment.json.
// EMG_AUTH_MODE is "off" unless the test sets it (identity and access tests set "enforce";
// the environment wins over a config file's auth.mode).

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace emg::test {

// The gateway binary to run (see above).
std::string GatewayBinary();

// A fresh empty directory under $TMPDIR (or /tmp); the caller removes it.
std::string MakeTempDir(std::string_view prefix);

struct GatewayOptions {
  std::vector<std::string> extra_args;  // appended after the standard ones
  // Extra environment for the child (added to the inherited environment).
  std::vector<std::pair<std::string, std::string>> env;
  // When non-empty, written to <data dir>/../config.json and passed with --config.
  std::string config_json;
  bool pass_listen = true;  // add --listen 127.0.0.1:0
  bool pass_data = true;    // add --data <data dir>
};

// Result of running the binary to completion (for --help, --version, config errors).
struct RunResult {
  int exit_code = -1;  // 128 + signal when killed; -1 when it did not exit in time
  std::string out;
  std::string err;
};

// Runs `<binary> args...` with extra environment and returns its exit code and output.
RunResult RunGateway(const std::vector<std::string>& args,
                     const std::vector<std::pair<std::string, std::string>>& env = {},
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

class GatewayProcess {
 public:
  explicit GatewayProcess(GatewayOptions options = {});
  ~GatewayProcess();  // SIGKILL if still running; removes the data dir
  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;

  // Starts the process and waits until it logs "listening". False (with the reason in
  // error()) when it exits or stays silent past `timeout`.
  bool Start(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  uint16_t port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& error() const { return error_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  void Terminate();  // SIGTERM
  void Interrupt();  // SIGINT
  void Kill();       // SIGKILL

  // Waits for the process to exit; returns the exit code (128 + signal when killed), or
  // nullopt on timeout (the process keeps running).
  std::optional<int> WaitForExit(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Captured stderr lines so far (all runs of this object).
  std::vector<std::string> StderrLines() const;
  std::string StderrText() const;
  // Waits until a stderr line containing `needle` appears (after index `from`).
  bool WaitForStderr(std::string_view needle,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10), size_t from = 0);

 private:
  void ReadStderr(int fd);

  GatewayOptions options_;
  std::string root_dir_;  // holds data/ and config.json
  std::string data_dir_;
  std::string error_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
  bool stderr_closed_ = true;
};

}  // namespace emg::test
