// The lane hasher agrees with libb2 on every message length, mixed lengths in
// one call, and group sizes that leave lanes idle.
#include <catch2/catch.hpp>

#include <random>

#include "tree/blake2b_lanes.h"
#include "basis/tree/hash.h"

using namespace basis::tree;

TEST_CASE("blake2b256_many equals blake2b256 message by message", "[hash]") {
  std::mt19937_64 rng(1);
  for (size_t count : {1u, 2u, 3u, 4u, 5u, 7u, 8u, 33u}) {
    for (int round = 0; round < 40; ++round) {
      std::vector<Bytes> messages(count);
      for (auto& m : messages) {
        m.resize(rng() % 200);  // includes empty and multi-block messages
        for (auto& b : m) b = static_cast<uint8_t>(rng());
      }
      std::vector<ByteView> in;
      std::vector<Label> got(count);
      std::vector<Label*> out;
      for (size_t i = 0; i < count; ++i) {
        in.push_back(view(messages[i]));
        out.push_back(&got[i]);
      }
      blake2b256_many(in.data(), out.data(), count);
      for (size_t i = 0; i < count; ++i) {
        INFO("length " << messages[i].size());
        REQUIRE(got[i] == blake2b256(in[i]));
      }
    }
  }
}

TEST_CASE("every single-block length hashes like libb2", "[hash]") {
  Bytes data(kSingleBlockBytes);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 1);
  for (size_t len = 1; len <= kSingleBlockBytes; ++len) {
    ByteView in[4] = {ByteView(data.data(), len), ByteView(data.data(), len - 1 + (len == 1)),
                      ByteView(data.data() + 1, len - 1 + (len == 1)), ByteView(data.data(), 1)};
    Label got[4];
    Label* out[4] = {&got[0], &got[1], &got[2], &got[3]};
    blake2b256_many(in, out, 4);
    for (int i = 0; i < 4; ++i) REQUIRE(got[i] == blake2b256(in[i]));
  }
}
