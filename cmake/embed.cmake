# srebot_embed_dir(DIR OUT_C VAR): turns every file under DIR into a C array and
# a table `const struct embedded_file embedded_files[]` (see src/http/assets.h).
function(srebot_embed_dir dir out var)
  file(GLOB_RECURSE files CONFIGURE_DEPENDS ${dir}/*)
  list(FILTER files EXCLUDE REGEX "/(node_modules|tests?)/|\\.md$|package(-lock)?\\.json$")
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DDIR=${dir} -DOUT=${out} -P ${CMAKE_SOURCE_DIR}/cmake/embed_run.cmake
    DEPENDS ${files} ${CMAKE_SOURCE_DIR}/cmake/embed_run.cmake
    COMMENT "Embedding web assets")
  set(${var} ${out} PARENT_SCOPE)
endfunction()
