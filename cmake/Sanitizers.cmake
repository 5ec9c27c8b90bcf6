# EMG_SANITIZE: "address" (or ON) builds with AddressSanitizer + UndefinedBehaviorSanitizer,
# "thread" with ThreadSanitizer; scripts/test.sh runs the whole suite under both.
if(EMG_SANITIZE STREQUAL "address" OR EMG_SANITIZE STREQUAL "ON")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(EMG_SANITIZE STREQUAL "thread")
  # -Wno-tsan: GCC warns that TSan does not model std::atomic_thread_fence, which Boost.Asio's
  # headers use. An unmodelled fence can only make TSan report a race that is not one, and a
  # report fails the run, where it would be looked at.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  add_link_options(-fsanitize=thread)
elseif(EMG_SANITIZE AND NOT EMG_SANITIZE STREQUAL "OFF")
  message(FATAL_ERROR "EMG_SANITIZE must be address, thread or OFF, not '${EMG_SANITIZE}'")
endif()

# EMG_FUZZ: the libFuzzer build of fuzz/ (scripts/fuzz.sh; docs/adr/0012-fuzzing.md). Clang only,
# and with its own sanitizers: everything is compiled with libFuzzer's coverage instrumentation
# plus ASan and UBSan, and the fuzz_<name> binaries link the libFuzzer driver.
if(EMG_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "EMG_FUZZ needs clang (scripts/fuzz.sh uses clang++-19)")
  endif()
  if(EMG_SANITIZE AND NOT EMG_SANITIZE STREQUAL "OFF")
    message(FATAL_ERROR "EMG_FUZZ brings its own sanitizers; leave EMG_SANITIZE OFF")
  endif()
  # -O1 as OSS-Fuzz builds for ASan (fast enough, stacks still readable; it comes after the
  # build type's flags, so it wins); libstdc++'s own checks (bounds of operator[], front() of
  # an empty container...) turn silent misuse into a finding.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined -O1 -D_GLIBCXX_ASSERTIONS
    # libstdc++ 12's std::stable_sort uses get_temporary_buffer, which clang 19 calls deprecated.
    -Wno-deprecated-declarations)
  add_link_options(-fsanitize=address,undefined)
endif()
