# Fails when a file of one layer includes a header of a layer it does not
# link: the one-way dependencies of CMakeLists.txt, checked on the code.
#
# Input (variables, set by CMakeLists.txt or with -D for `cmake -P`):
#   OOM_LAYERS_FILE  one line per library: "NAME DIR[,DIR...] [LAYER,...]",
#                    a DIR being a folder or a file relative to the root;
#   OOM_LAYERS_ROOT  the tree whose collectors/ and exporter/ are checked.
# A file belongs to the library with the longest DIR that is the file itself
# or a folder above it; files of no library (exporter/main.cc) are not
# checked, and may include anything.

cmake_policy(VERSION 3.18)

file(STRINGS "${OOM_LAYERS_FILE}" oom_layer_lines)
set(oom_layer_names "")
foreach(line IN LISTS oom_layer_lines)
  string(REPLACE " " ";" fields "${line}")
  list(LENGTH fields n)
  list(GET fields 0 name)
  list(GET fields 1 dirs)
  set(deps "")
  if(n GREATER 2)
    list(GET fields 2 deps)
  endif()
  string(REPLACE "," ";" dirs "${dirs}")
  string(REPLACE "," ";" deps "${deps}")
  list(APPEND oom_layer_names ${name})
  set(oom_dirs_${name} ${dirs})
  set(oom_deps_${name} ${deps})
endforeach()

# Every library's layers, direct and indirect.
foreach(name IN LISTS oom_layer_names)
  set(seen "")
  set(todo ${oom_deps_${name}})
  while(todo)
    list(POP_FRONT todo dep)
    if(NOT dep IN_LIST seen)
      list(APPEND seen ${dep})
      list(APPEND todo ${oom_deps_${dep}})
    endif()
  endwhile()
  set(oom_reach_${name} ${seen})
endforeach()

# Sets `out` to the library that owns `path` (relative), or to "".
function(oom_layer_owner path out)
  set(best "")
  set(best_length 0)
  foreach(name IN LISTS oom_layer_names)
    foreach(dir IN LISTS oom_dirs_${name})
      string(LENGTH "${dir}" length)
      string(FIND "${path}/" "${dir}/" at)
      if(at EQUAL 0 AND length GREATER best_length)
        set(best ${name})
        set(best_length ${length})
      endif()
    endforeach()
  endforeach()
  set(${out} "${best}" PARENT_SCOPE)
endfunction()

set(oom_layer_errors "")
file(GLOB_RECURSE oom_layer_files RELATIVE "${OOM_LAYERS_ROOT}"
     "${OOM_LAYERS_ROOT}/collectors/*.h" "${OOM_LAYERS_ROOT}/collectors/*.cc"
     "${OOM_LAYERS_ROOT}/exporter/*.h" "${OOM_LAYERS_ROOT}/exporter/*.cc")
foreach(file IN LISTS oom_layer_files)
  oom_layer_owner("${file}" owner)
  if(owner STREQUAL "")
    continue()
  endif()
  file(STRINGS "${OOM_LAYERS_ROOT}/${file}" includes
       REGEX "^#include \"(collectors|exporter)/")
  foreach(include IN LISTS includes)
    string(REGEX REPLACE "^#include \"([^\"]*)\".*" "\\1" header "${include}")
    oom_layer_owner("${header}" used)
    if(used STREQUAL "")
      list(APPEND oom_layer_errors
           "${file} (${owner}) includes ${header}, which no library owns")
    elseif(NOT used STREQUAL owner AND NOT used IN_LIST oom_reach_${owner})
      list(APPEND oom_layer_errors
           "${file} (${owner}) includes ${header} of ${used}, a layer ${owner} does not link")
    endif()
  endforeach()
endforeach()

if(oom_layer_errors)
  list(JOIN oom_layer_errors "\n  " text)
  message(FATAL_ERROR "layering: a file uses a layer its library does not "
                      "link (CMakeLists.txt, oom_library):\n  ${text}")
endif()
