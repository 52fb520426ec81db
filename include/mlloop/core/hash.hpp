// Content hashing (xxHash XXH3-64) for data files and dictionaries.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace mlloop {

uint64_t hash_bytes(std::string_view bytes);

// Streaming hash of a sequence of buffers.
class StreamHasher {
 public:
  StreamHasher();
  ~StreamHasher();
  StreamHasher(const StreamHasher&) = delete;
  StreamHasher& operator=(const StreamHasher&) = delete;
  void update(const void* data, size_t size);
  uint64_t digest() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

struct FileDigest {
  uint64_t hash = 0;
  uint64_t bytes = 0;
  std::string hex() const;  // 16 lowercase hex digits
};

// Hashes a whole file. Throws a bad-input Error naming the file when it cannot be read.
FileDigest hash_file(const std::string& path);

}  // namespace mlloop
