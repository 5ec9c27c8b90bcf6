# Warnings are errors for our own code. Third-party headers are included as SYSTEM.
function(emg_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror -Wshadow
    -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
    # GCC 12 reports -Wrestrict false positives inside libstdc++'s std::string operator+ at
    # -O2/-O3 (GCC bug 105329); keep the warning visible but not fatal.
    -Wno-error=restrict)
endfunction()
