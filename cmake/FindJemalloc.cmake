# FindJemalloc: the static, position-independent jemalloc of Debian's libjemalloc-dev
# (libjemalloc_pic.a), so that the binary needs no jemalloc package at run time.
#
# Defines Jemalloc_FOUND and the imported target Jemalloc::Jemalloc.
find_path(Jemalloc_INCLUDE_DIR NAMES jemalloc/jemalloc.h)
find_library(Jemalloc_LIBRARY NAMES libjemalloc_pic.a)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Jemalloc REQUIRED_VARS Jemalloc_LIBRARY Jemalloc_INCLUDE_DIR)

if(Jemalloc_FOUND AND NOT TARGET Jemalloc::Jemalloc)
  add_library(Jemalloc::Jemalloc STATIC IMPORTED)
  set_target_properties(Jemalloc::Jemalloc PROPERTIES
    IMPORTED_LOCATION "${Jemalloc_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${Jemalloc_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "Threads::Threads;${CMAKE_DL_LIBS};m")
endif()
mark_as_advanced(Jemalloc_INCLUDE_DIR Jemalloc_LIBRARY)
