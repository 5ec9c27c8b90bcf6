#pragma once
// fork/exec for the integration-test fixtures (the gateway binary, the OpenID Provider).

#include <sys/types.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace emg::test {

using Env = std::vector<std::pair<std::string, std::string>>;

// NUL-terminated string arrays for execve, built before fork().
struct ExecArgs {
  std::vector<std::string> storage;
  std::vector<char*> argv;
  std::vector<std::string> env_storage;
  std::vector<char*> envp;
};

// `argv` as given (argv[0] is the program's path); the environment is the inherited one
// without the names in `env` (and, when `drop_prefix` is not empty, without every variable
// whose name starts with it), followed by `env`.
ExecArgs BuildExecArgs(std::vector<std::string> argv, const Env& env,
                       std::string_view drop_prefix = {});

// Forks and execs in `cwd` (empty: unchanged); stdin is /dev/null, stdout/stderr go to the
// given fds (-1: /dev/null), signals are unblocked in the child.
pid_t Spawn(ExecArgs& e, const std::string& cwd, int out_fd, int err_fd);

// A waitpid status as an exit code: the code, 128 + signal when killed, -1 otherwise.
int DecodeStatus(int status);

}  // namespace emg::test
