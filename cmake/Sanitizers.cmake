# EMG_SANITIZE: "address" (or ON) builds with AddressSanitizer + UndefinedBehaviorSanitizer,
# "thread" with ThreadSanitizer; scripts/test.sh runs the whole suite under both.
if(EMG_SANITIZE STREQUAL "address" OR EMG_SANITIZE STREQUAL "ON")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(EMG_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(EMG_SANITIZE AND NOT EMG_SANITIZE STREQUAL "OFF")
  message(FATAL_ERROR "EMG_SANITIZE must be address, thread or OFF, not '${EMG_SANITIZE}'")
endif()
