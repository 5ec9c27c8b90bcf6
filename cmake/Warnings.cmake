# Warnings are errors for our own code. Third-party headers are included as SYSTEM.
function(emg_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror -Wshadow
    -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 reports -Wrestrict false positives inside libstdc++'s std::string operator+ at
    # -O2/-O3 (GCC bug 105329); keep the warning visible but not fatal. (Clang, which builds
    # the fuzz targets, has no such warning.)
    target_compile_options(${target} PRIVATE -Wno-error=restrict)
  endif()
endfunction()
