// Running the `vigie` binary as a child process, for tests that hold the
// whole program to a promise (a kill mid-run, peak memory): started with
// its standard error in a file and its standard output discarded, waited
// for with its resource usage.
//
// Example:
//   const pid_t pid = StartVigie({"replay", "x.csv"}, TmpPath("err"));
//   rusage usage;
//   EXPECT_EQ(WaitVigie(pid, &usage), 0);
#ifndef VIGIE_TESTS_VIGIE_PROCESS_H_
#define VIGIE_TESTS_VIGIE_PROCESS_H_

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace vigie {
namespace testing_files {

// The vigie binary, from the test's runfiles (the working directory).
inline constexpr char kVigieBinary[] = "tools/vigie";

// Starts `vigie ARGS...` with its standard error in `stderr_path`.
inline pid_t StartVigie(const std::vector<std::string>& args,
                        const std::string& stderr_path) {
  std::vector<std::string> argv = {kVigieBinary};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) dup2(fd, 2);
    const int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 1);
    std::vector<char*> c_argv;
    for (std::string& arg : argv) c_argv.push_back(arg.data());
    c_argv.push_back(nullptr);
    execv(kVigieBinary, c_argv.data());
    _exit(127);
  }
  return pid;
}

// Waits for the child to end; its exit status (-1 when it did not exit),
// and its resource usage in *usage when given (ru_maxrss: its peak
// resident memory in KiB).
inline int WaitVigie(pid_t pid, rusage* usage = nullptr) {
  int status = 0;
  rusage ignored;
  if (wait4(pid, &status, 0, usage != nullptr ? usage : &ignored) != pid) {
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace testing_files
}  // namespace vigie

#endif  // VIGIE_TESTS_VIGIE_PROCESS_H_
