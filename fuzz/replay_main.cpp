// Replays inputs through a fuzz target's entry point without libFuzzer, so the normal (g++)
// build and its ctest run check every seed and every regression input under its sanitizers:
//   fuzz_replay_<target> [--suffix=.xml] PATH...
// A PATH is a file or a directory (read recursively, in sorted order); --suffix keeps only the
// files of later directories whose names end with it (tests/testdata holds other files too).
// A crash, a sanitizer report or a violated property aborts the process, which fails the test;
// the input being run is printed first, so the failure names it. Fails as well when a path is
// missing or no input at all was found (a replay that runs nothing checks nothing).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

// Files a corpus directory may hold that are not inputs.
bool IsBookkeeping(const fs::path& p) {
  const std::string name = p.filename().string();
  return name == ".gitkeep" || name == "README.md";
}

bool Collect(const fs::path& path, std::string_view suffix, std::vector<fs::path>& out) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    out.push_back(path);
    return true;
  }
  if (!fs::is_directory(path, ec)) {
    std::fprintf(stderr, "replay: %s: no such file or directory\n", path.c_str());
    return false;
  }
  std::vector<fs::path> found;
  for (const auto& entry : fs::recursive_directory_iterator(path)) {
    if (!entry.is_regular_file() || IsBookkeeping(entry.path())) continue;
    if (!suffix.empty() && !entry.path().string().ends_with(suffix)) continue;
    found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  out.insert(out.end(), found.begin(), found.end());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<fs::path> inputs;
  std::string suffix;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("--suffix=")) {
      suffix = arg.substr(9);
      continue;
    }
    ok = Collect(arg, suffix, inputs) && ok;
  }
  if (!ok) return 2;
  if (inputs.empty()) {
    std::fprintf(stderr, "replay: no inputs found\n");
    return 2;
  }
  for (const fs::path& p : inputs) {
    std::ifstream in(p, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // An allocation of exactly the input's size, so that a read past its end is reported.
    auto copy = std::make_unique<uint8_t[]>(bytes.size());
    std::copy(bytes.begin(), bytes.end(), copy.get());
    std::fprintf(stderr, "replay: %s\n", p.c_str());
    LLVMFuzzerTestOneInput(copy.get(), bytes.size());
  }
  std::printf("replay: %zu inputs, no failure\n", inputs.size());
  return 0;
}
