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
