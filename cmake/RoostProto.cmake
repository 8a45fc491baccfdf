# roost_proto_library(NAME PROTOS a.proto b.proto)
# Generates C++ messages and gRPC stubs for PROTOS (paths relative to proto/) into one
# static library NAME, so the generated code is compiled once for the whole tree.
function(roost_proto_library name)
  cmake_parse_arguments(ARG "" "" "PROTOS" ${ARGN})
  set(proto_root "${CMAKE_SOURCE_DIR}/proto")
  set(out "${CMAKE_BINARY_DIR}/gen")
  get_target_property(grpc_plugin gRPC::grpc_cpp_plugin LOCATION)
  set(srcs)
  list(TRANSFORM ARG_PROTOS PREPEND "${proto_root}/" OUTPUT_VARIABLE all_protos)
  foreach(rel ${ARG_PROTOS})
    string(REGEX REPLACE "\\.proto$" "" stem "${rel}")
    set(generated
      "${out}/${stem}.pb.cc" "${out}/${stem}.pb.h"
      "${out}/${stem}.grpc.pb.cc" "${out}/${stem}.grpc.pb.h")
    add_custom_command(
      OUTPUT ${generated}
      COMMAND ${CMAKE_COMMAND} -E make_directory "${out}"
      COMMAND protobuf::protoc
        --proto_path=${proto_root}
        --cpp_out=${out}
        --grpc_out=${out}
        --plugin=protoc-gen-grpc=${grpc_plugin}
        "${proto_root}/${rel}"
      # Every file of the library: an import's change can change the generated code.
      DEPENDS ${all_protos} protobuf::protoc
      COMMENT "protoc ${rel}"
      VERBATIM)
    list(APPEND srcs "${out}/${stem}.pb.cc" "${out}/${stem}.grpc.pb.cc")
  endforeach()
  add_library(${name} STATIC ${srcs})
  target_include_directories(${name} PUBLIC "${out}")
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf gRPC::grpc++)
  # Generated code is not ours to warn about.
  target_compile_options(${name} PRIVATE -w)
endfunction()
