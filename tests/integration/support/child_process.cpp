#include "integration/support/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace emg::test {

ExecArgs BuildExecArgs(std::vector<std::string> argv, const Env& env,
                       std::string_view drop_prefix) {
  ExecArgs e;
  e.storage = std::move(argv);
  for (auto& s : e.storage) e.argv.push_back(s.data());
  e.argv.push_back(nullptr);
  for (char** p = environ; *p != nullptr; ++p) {
    std::string_view kv(*p);
    bool drop = !drop_prefix.empty() && kv.starts_with(drop_prefix);
    for (const auto& [k, v] : env) drop = drop || kv.starts_with(k + "=");
    if (!drop) e.env_storage.emplace_back(kv);
  }
  for (const auto& [k, v] : env) e.env_storage.push_back(k + "=" + v);
  for (auto& s : e.env_storage) e.envp.push_back(s.data());
  e.envp.push_back(nullptr);
  return e;
}

pid_t Spawn(ExecArgs& e, const std::string& cwd, int out_fd, int err_fd) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  // Child: only async-signal-safe calls from here on.
  int devnull = open("/dev/null", O_RDWR);
  dup2(devnull, 0);
  dup2(out_fd >= 0 ? out_fd : devnull, 1);
  dup2(err_fd >= 0 ? err_fd : devnull, 2);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
  execve(e.argv[0], e.argv.data(), e.envp.data());
  _exit(127);
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace emg::test
