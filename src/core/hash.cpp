#include "mlloop/core/hash.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "mlloop/core/error.hpp"

namespace mlloop {

uint64_t hash_bytes(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

struct StreamHasher::State {
  XXH3_state_t* st = XXH3_createState();
  ~State() { XXH3_freeState(st); }
};

StreamHasher::StreamHasher() : state_(std::make_unique<State>()) { XXH3_64bits_reset(state_->st); }
StreamHasher::~StreamHasher() = default;

void StreamHasher::update(const void* data, size_t size) { XXH3_64bits_update(state_->st, data, size); }

uint64_t StreamHasher::digest() const { return XXH3_64bits_digest(state_->st); }

std::string FileDigest::hex() const { return fmt::format("{:016x}", hash); }

FileDigest hash_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw_bad_input(fmt::format("cannot open '{}': {}", path, std::strerror(errno)),
                    "check the path and that the file is readable");
  }
  StreamHasher hasher;
  FileDigest digest;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    hasher.update(buf.data(), got);
    digest.bytes += got;
  }
  digest.hash = hasher.digest();
  return digest;
}

}  // namespace mlloop
