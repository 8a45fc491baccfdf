# Finds Roost's dependencies, all of them Debian packages (scripts/install-deps.sh).
find_package(Threads REQUIRED)
find_package(Protobuf REQUIRED)            # module mode: protobuf::libprotobuf, protoc
find_package(gRPC CONFIG REQUIRED)         # gRPC::grpc++, gRPC::grpc_cpp_plugin
find_package(absl CONFIG REQUIRED)
find_package(RocksDB CONFIG REQUIRED)      # RocksDB::rocksdb
# The static library, except under TSan: there the shared one, so that the RocksDB
# scripts/tsan-libs.sh builds with TSan replaces it (build-tsan loads it through its
# RPATH; see CMakeLists.txt).
if(ROOST_SANITIZE STREQUAL "thread")
  set(ROOST_ROCKSDB RocksDB::rocksdb-shared)
else()
  set(ROOST_ROCKSDB RocksDB::rocksdb)
endif()
find_package(GTest CONFIG REQUIRED)
find_package(benchmark CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
pkg_check_modules(LIBMEMCACHED REQUIRED IMPORTED_TARGET libmemcached)
find_package(nlohmann_json CONFIG REQUIRED)  # nlohmann_json::nlohmann_json (loadgen reports)
find_package(OpenSSL REQUIRED)               # OpenSSL::Crypto (SHA-256 of auth tokens)
find_package(prometheus-cpp CONFIG REQUIRED) # prometheus-cpp::pull (the metrics endpoint)
# The NATS C client (the JetStream log). By pkg-config: Debian's CMake package names a
# static library the package does not ship.
pkg_check_modules(LIBNATS REQUIRED IMPORTED_TARGET libnats)
