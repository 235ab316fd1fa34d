# hoody_enable_sanitizers(target): applies HOODY_SANITIZE ("address;undefined" or "thread").
function(hoody_enable_sanitizers target)
  if(NOT HOODY_SANITIZE)
    return()
  endif()
  if("thread" IN_LIST HOODY_SANITIZE AND "address" IN_LIST HOODY_SANITIZE)
    message(FATAL_ERROR "thread and address sanitizers cannot be combined")
  endif()
  list(JOIN HOODY_SANITIZE "," sanitizers)
  target_compile_options(${target} PUBLIC -fsanitize=${sanitizers} -fno-sanitize-recover=all
                                          -fno-omit-frame-pointer)
  target_link_options(${target} PUBLIC -fsanitize=${sanitizers})
endfunction()
