// Unit tests for hoody/ops/utf8.hpp: is_valid_utf8 accepts exactly the shortest-form encodings of
// U+0000..U+10FFFF without the surrogates (RFC 3629), checked at each boundary and exhaustively:
// every code point, every 2-byte string, and every 3-byte string led by E0..FF.
#include "hoody/ops/utf8.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace {

using hoody::ops::is_valid_utf8;

/// The 1-4 bytes of `cp` in the UTF-8 scheme, also for surrogates and for values above U+10FFFF
/// up to U+1FFFFF (which well-formed UTF-8 excludes).
std::string encode(std::uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
  return out;
}

bool is_surrogate(std::uint32_t cp) {
  return cp >= 0xd800 && cp <= 0xdfff;
}

TEST(sql_utf8, validation) {
  EXPECT_TRUE(is_valid_utf8("héllo 🌍"));
  EXPECT_FALSE(is_valid_utf8("\xff"));
  EXPECT_FALSE(is_valid_utf8("\xc0\x80"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));      // truncated
}

TEST(utf8, ascii_and_the_empty_string_are_valid) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ASCII ~\x7f"));
  EXPECT_TRUE(is_valid_utf8(std::string_view("a\0b", 3))) << "NUL is U+0000";
}

TEST(utf8, boundaries_of_each_length) {
  // Shortest forms at the edges of each length and around the surrogates.
  for (const char* ok : {"\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80",
                         "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf"}) {
    EXPECT_TRUE(is_valid_utf8(ok)) << testing::PrintToString(std::string(ok));
  }
  for (const char* bad : {
           "\xc0\x80", "\xc1\xbf",                  // overlong 2-byte (lead C0, C1)
           "\xe0\x9f\xbf",                          // overlong 3-byte (U+07FF)
           "\xed\xa0\x80", "\xed\xbf\xbf",          // U+D800, U+DFFF
           "\xf0\x8f\xbf\xbf",                      // overlong 4-byte (U+FFFF)
           "\xf4\x90\x80\x80",                      // U+110000
           "\xf5\x80\x80\x80", "\xf8\x88\x80\x80",  // leads past F4
           "\xfe", "\xff",                          // never in UTF-8
       }) {
    EXPECT_FALSE(is_valid_utf8(bad)) << testing::PrintToString(std::string(bad));
  }
}

TEST(utf8, continuation_bytes_must_follow_a_lead_and_be_complete) {
  for (const char* bad : {
           "\x80", "\xbf", "a\x80", "\xc2\x80\x80",         // a continuation byte without a lead
           "\xc2", "\xe2\x82", "\xf0\x9f\x98",              // truncated at the end
           "\xe2\x82!", "\xf0\x9f\x98!",                    // truncated before an ASCII byte
           "\xc2\x41", "\xe2\x41\x82", "\xf0\x9f\xc2\x80",  // a non-continuation inside
       }) {
    EXPECT_FALSE(is_valid_utf8(bad)) << testing::PrintToString(std::string(bad));
  }
  EXPECT_FALSE(is_valid_utf8("valid \xe2\x82\xac then \xff")) << "a bad byte after good ones";
  EXPECT_TRUE(is_valid_utf8("a\xe2\x82\xac-\xf0\x9f\x8c\x8d-z"));
}

TEST(utf8, every_code_point_but_the_surrogates_is_valid_alone_and_in_a_string) {
  std::string all;
  for (std::uint32_t cp = 0; cp <= 0x10ffff; ++cp) {
    const std::string bytes = encode(cp);
    ASSERT_EQ(is_valid_utf8(bytes), !is_surrogate(cp)) << "U+" << std::hex << cp;
    if (!is_surrogate(cp) && cp % 97 == 0) {
      all += bytes;
    }
  }
  EXPECT_TRUE(is_valid_utf8(all));
  for (std::uint32_t cp = 0x110000; cp <= 0x1fffff; cp += 0x1001) {
    EXPECT_FALSE(is_valid_utf8(encode(cp))) << "U+" << std::hex << cp;
  }
}

TEST(utf8, exactly_the_shortest_forms_among_all_short_strings) {
  // Two bytes: both ASCII (128 * 128), or one encoded U+0080..U+07FF (1920).
  int valid2 = 0;
  std::string s2(2, '\0');
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      s2[0] = static_cast<char>(a);
      s2[1] = static_cast<char>(b);
      valid2 += is_valid_utf8(s2) ? 1 : 0;
    }
  }
  EXPECT_EQ(valid2, 128 * 128 + 1920);
  // Three bytes from a lead E0..FF: one a code point U+0800..U+FFFF but the 2048 surrogates.
  int valid3 = 0;
  std::string s3(3, '\0');
  for (int a = 0xe0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c = 0; c < 256; ++c) {
        s3[0] = static_cast<char>(a);
        s3[1] = static_cast<char>(b);
        s3[2] = static_cast<char>(c);
        valid3 += is_valid_utf8(s3) ? 1 : 0;
      }
    }
  }
  EXPECT_EQ(valid3, 0x10000 - 0x800 - 2048);
}

}  // namespace
