// The core's own JSON and .npy readers (it cannot use nlohmann or numpy).
#include <gtest/gtest.h>

#include <fstream>

#include "core/json_value.h"
#include "core/npy_file.h"
#include "test_support.h"

namespace {

TEST(JsonValue, ParsesNestedDocument) {
  const auto v = lp::JsonValue::parse(R"({"a": [1, 2.5, -3e2], "b": {"c": "x\"y\u00e9\n"}, "d": true, "e": null})");
  ASSERT_TRUE(v.is_object());
  const auto& a = v.at("a").as_array();
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].as_int(), 1);
  EXPECT_DOUBLE_EQ(a[1].as_number(), 2.5);
  EXPECT_DOUBLE_EQ(a[2].as_number(), -300.0);
  EXPECT_EQ(v.at("b").at("c").as_string(), "x\"y\xc3\xa9\n");
  EXPECT_TRUE(v.at("d").as_bool());
  EXPECT_TRUE(v.at("e").is_null());
  EXPECT_EQ(v.find("missing"), nullptr);
}

TEST(JsonValue, ErrorsSayWhereAndWhat) {
  try {
    lp::JsonValue::parse("{\n  \"a\": [1, 2,]\n}");
    FAIL() << "no error";
  } catch (const lp::JsonError& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(lp::JsonValue::parse("{\"a\": 1} trailing"), lp::JsonError);
  EXPECT_THROW(lp::JsonValue::parse("\"unterminated"), lp::JsonError);
  EXPECT_THROW(lp::JsonValue::parse("[1, 2"), lp::JsonError);
  EXPECT_THROW(lp::JsonValue::parse("{\"a\": 1}").at("a").as_string(), lp::JsonError);
  EXPECT_THROW(lp::JsonValue::parse("1.5").as_int(), lp::JsonError);
}

TEST(JsonValue, ParseFileNamesTheFile) {
  const auto dir = lp::test::scratch_dir();
  const auto path = (dir / "bad.json").string();
  std::ofstream(path) << "{ not json";
  try {
    lp::JsonValue::parse_file(path);
    FAIL() << "no error";
  } catch (const lp::JsonError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
  }
  EXPECT_THROW(lp::JsonValue::parse_file((dir / "absent.json").string()), lp::JsonError);
}

TEST(NpyFile, RoundTripsEveryDtype) {
  const auto dir = lp::test::scratch_dir();
  lp::NpyArray f;
  f.dtype = lp::NpyDtype::Float32;
  f.shape = {2, 3};
  const float fv[] = {1.f, -2.f, 3.5f, 0.f, 1e-7f, 42.f};
  f.data.assign(reinterpret_cast<const uint8_t*>(fv), reinterpret_cast<const uint8_t*>(fv) + sizeof(fv));
  lp::write_npy((dir / "f.npy").string(), f);
  const auto f2 = lp::read_npy((dir / "f.npy").string());
  EXPECT_EQ(f2.shape, f.shape);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(f2.f32()[i], fv[i]);

  lp::NpyArray u;
  u.dtype = lp::NpyDtype::UInt8;
  u.shape = {4};
  u.data = {0, 1, 254, 255};
  lp::write_npy((dir / "u.npy").string(), u);
  const auto u2 = lp::read_npy((dir / "u.npy").string());
  EXPECT_EQ(u2.shape, u.shape);
  EXPECT_EQ(u2.data, u.data);

  lp::NpyArray l;
  l.dtype = lp::NpyDtype::Int64;
  l.shape = {1, 2};
  const int64_t lv[] = {-5, 1LL << 40};
  l.data.assign(reinterpret_cast<const uint8_t*>(lv), reinterpret_cast<const uint8_t*>(lv) + sizeof(lv));
  lp::write_npy((dir / "l.npy").string(), l);
  const auto l2 = lp::read_npy((dir / "l.npy").string());
  EXPECT_EQ(l2.i64()[1], 1LL << 40);
  EXPECT_THROW(l2.f32(), lp::NpyError);
}

TEST(NpyFile, ReordersFortranOrder) {
  const auto dir = lp::test::scratch_dir();
  // A 2x3 float32 array [[0,1,2],[3,4,5]] stored column-major: 0,3,1,4,2,5.
  std::string header = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }";
  header.append(128 - 10 - header.size() - 1, ' ');  // data starts at byte 128
  header += '\n';
  std::ofstream out(dir / "f.npy", std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const char len[2] = {static_cast<char>(header.size()), 0};
  out.write(len, 2);
  out << header;
  const float col_major[] = {0, 3, 1, 4, 2, 5};
  out.write(reinterpret_cast<const char*>(col_major), sizeof(col_major));
  out.close();
  const auto a = lp::read_npy((dir / "f.npy").string());
  for (int i = 0; i < 6; ++i) EXPECT_EQ(a.f32()[i], static_cast<float>(i));
}

TEST(NpyFile, BadFilesAreNamed) {
  const auto dir = lp::test::scratch_dir();
  std::ofstream(dir / "junk.npy") << "hello";
  try {
    lp::read_npy((dir / "junk.npy").string());
    FAIL();
  } catch (const lp::NpyError& e) {
    EXPECT_NE(std::string(e.what()).find("junk.npy"), std::string::npos);
  }
  lp::NpyArray f;
  f.shape = {100};
  f.data.assign(400, 0);
  lp::write_npy((dir / "t.npy").string(), f);
  std::filesystem::resize_file(dir / "t.npy", 200);
  try {
    lp::read_npy((dir / "t.npy").string());
    FAIL();
  } catch (const lp::NpyError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}

TEST(NpyFile, ReadsTheParityFixture) {
  LP_REQUIRE_SHARED("liveportrait/parity_seed1/index.json");
  const auto dir = lp::test::shared_path("liveportrait/parity_seed1");
  const auto index = lp::JsonValue::parse_file((dir / "index.json").string());
  for (const char* name : {"source_rgb_u8", "M_source_kp", "source_R"}) {
    const auto a = lp::read_npy((dir / (std::string(name) + ".npy")).string());
    std::vector<int64_t> shape;
    for (const auto& d : index.at(name).at("shape").as_array()) shape.push_back(d.as_int());
    EXPECT_EQ(a.shape, shape) << name;
    // The index records each array's mean: the bytes must be read in the right order and type.
    double sum = 0;
    for (int64_t i = 0; i < a.numel(); ++i)
      sum += a.dtype == lp::NpyDtype::UInt8 ? a.u8()[i] : a.f32()[i];
    EXPECT_NEAR(sum / static_cast<double>(a.numel()), index.at(name).at("mean").as_number(), 1e-4) << name;
  }
}

}  // namespace
