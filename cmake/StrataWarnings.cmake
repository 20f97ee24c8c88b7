# Warnings for every strata target, and optional sanitizers.
function(strata_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(STRATA_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(STRATA_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC's instrumentation for the sanitizers makes -Wmaybe-uninitialized fire inside libstdc++ (std::regex
    # through Catch2's main), a known false positive; the plain build keeps the warning as an error.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
endfunction()

if(STRATA_SANITIZE)
  # -O1 -g1 after the build type's flags (the last -O and -g win): the sanitizers' own advice for speed and
  # readable reports, and, measured on the CI's 2 cores, 40-45% less compile time per file than -O2 -g
  # (the sanitized build is most of CI's time); -g1 keeps the file:line of every frame in a report.
  add_compile_options(-fsanitize=${STRATA_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all -O1 -g1)
  add_link_options(-fsanitize=${STRATA_SANITIZE})
endif()
