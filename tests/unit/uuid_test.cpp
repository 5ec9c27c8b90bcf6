#include "common/uuid.h"

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <set>
#include <string>
#include <thread>

namespace common {
namespace {

const std::regex kCanonical(
    "^[0-9a-f]{8}-[0-9a-f]{4}-([0-9a-f])[0-9a-f]{3}-([0-9a-f])[0-9a-f]{3}-[0-9a-f]{12}$");

char Version(const std::string& u) { return u[14]; }
bool Rfc9562Variant(const std::string& u) {
  return std::string("89ab").find(u[19]) != std::string::npos;
}

TEST(Uuid, RandomIsVersion4AndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    std::string u = NewUuid();
    ASSERT_TRUE(std::regex_match(u, kCanonical)) << u;
    EXPECT_EQ(Version(u), '4') << u;
    EXPECT_TRUE(Rfc9562Variant(u)) << u;
    EXPECT_TRUE(seen.insert(u).second) << "repeated " << u;
  }
}

TEST(Uuid, TimeOrderedIsVersion7UniqueAndSortsByTime) {
  std::set<std::string> seen;
  std::string previous = NewTimeOrderedUuid();
  for (int round = 0; round < 5; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    for (int i = 0; i < 200; ++i) {
      std::string u = NewTimeOrderedUuid();
      ASSERT_TRUE(std::regex_match(u, kCanonical)) << u;
      EXPECT_EQ(Version(u), '7') << u;
      EXPECT_TRUE(Rfc9562Variant(u)) << u;
      EXPECT_TRUE(seen.insert(u).second) << "repeated " << u;
    }
    // A later millisecond sorts later (the first 48 bits are the Unix time in ms).
    std::string later = NewTimeOrderedUuid();
    EXPECT_LT(previous, later);
    previous = later;
  }
  // The timestamp is now, to the millisecond's order of magnitude.
  std::string u = NewTimeOrderedUuid();
  std::string hex = u.substr(0, 8) + u.substr(9, 4);
  long long ms = std::stoll(hex, nullptr, 16);
  long long now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  EXPECT_LE(ms, now);
  EXPECT_GT(ms, now - 60'000);
}

}  // namespace
}  // namespace common
