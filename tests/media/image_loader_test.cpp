// File validation as a user meets it: every bad file gives a message naming
// the file and the reason; good images load.
#include "media/image_loader.h"
#include "test_support.h"

#include <opencv2/imgcodecs.hpp>

#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace lp;

namespace {
void write_bytes(const fs::path& p, const std::vector<std::uint8_t>& b) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}
std::vector<std::uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
void expect_names_file(const ImageLoadResult& r, const fs::path& p) {
  EXPECT_NE(r.message.find(p.string()), std::string::npos) << r.message;
  EXPECT_TRUE(r.image.empty());
  EXPECT_FALSE(r.ok());
}
}  // namespace

TEST(ImageLoader, ValidJpegLoads) {
  LP_REQUIRE_SHARED("media/s1.jpg");
  const auto r = load_image(test::media("s1.jpg").string());
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.image.cols, 1145);
  EXPECT_EQ(r.image.rows, 1145);
  EXPECT_EQ(r.image.type(), CV_8UC3);
  EXPECT_EQ(r.header.format, "jpeg");
  EXPECT_EQ(r.header.width, 1145);
  // A real photo, not a blank buffer.
  cv::Scalar mean, stddev;
  cv::meanStdDev(r.image, mean, stddev);
  EXPECT_GT(stddev[0], 10.0);
}

TEST(ImageLoader, ValidPngLoads) {
  LP_REQUIRE_SHARED("media/s42.jpg");
  const auto src = load_image(test::media("s42.jpg").string());
  ASSERT_TRUE(src.ok()) << src.message;
  const fs::path p = test::scratch_dir() / "s42.png";
  ASSERT_TRUE(cv::imwrite(p.string(), src.image));
  const auto r = load_image(p.string());
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(cv::norm(r.image, src.image, cv::NORM_INF), 0.0);  // PNG is lossless
  EXPECT_FALSE(r.header.may_have_alpha);  // an RGB PNG is decoded once
}

TEST(ImageLoader, TextFileIsNotAnImage) {
  const fs::path p = test::scratch_dir() / "notes.jpg";  // a lying extension
  std::ofstream(p) << "this is a text file, not a portrait\n";
  const auto r = load_image(p.string());
  EXPECT_EQ(r.error, ImageError::NotAnImage);
  expect_names_file(r, p);
  EXPECT_NE(r.message.find("not an image"), std::string::npos) << r.message;
}

TEST(ImageLoader, EmptyFile) {
  const fs::path p = test::scratch_dir() / "empty.png";
  std::ofstream(p).close();
  const auto r = load_image(p.string());
  EXPECT_EQ(r.error, ImageError::Empty);
  expect_names_file(r, p);
  EXPECT_NE(r.message.find("0 bytes"), std::string::npos) << r.message;
}

TEST(ImageLoader, MissingFileAndFolder) {
  const fs::path dir = test::scratch_dir();
  const auto missing = load_image((dir / "nope.jpg").string());
  EXPECT_EQ(missing.error, ImageError::NotFound);
  expect_names_file(missing, dir / "nope.jpg");
  const auto folder = load_image(dir.string());
  EXPECT_EQ(folder.error, ImageError::NotAFile);
  expect_names_file(folder, dir);
}

TEST(ImageLoader, TruncatedJpegIsDetected) {
  LP_REQUIRE_SHARED("media/s1.jpg");
  auto bytes = read_bytes(test::media("s1.jpg"));
  ASSERT_GT(bytes.size(), 1000u);
  bytes.resize(bytes.size() / 2);  // cut in half: cv::imread would return a half-grey image
  const fs::path p = test::scratch_dir() / "half.jpg";
  write_bytes(p, bytes);
  const auto r = load_image(p.string());
  EXPECT_EQ(r.error, ImageError::Truncated);
  expect_names_file(r, p);
  EXPECT_NE(r.message.find("truncated"), std::string::npos) << r.message;
}

TEST(ImageLoader, TruncatedPngIsDetected) {
  cv::Mat img(64, 64, CV_8UC3);
  cv::randu(img, 0, 255);
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", img, png));
  png.resize(png.size() * 2 / 3);
  const fs::path p = test::scratch_dir() / "cut.png";
  write_bytes(p, png);
  const auto r = load_image(p.string());
  EXPECT_EQ(r.error, ImageError::Truncated);
  expect_names_file(r, p);
}

TEST(ImageLoader, HugeDeclaredDimensionsRefusedBeforeDecoding) {
  cv::Mat img(8, 8, CV_8UC3, cv::Scalar(10, 20, 30));
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", img, png));
  // IHDR width/height are big-endian at bytes 16..23: declare 100000 x 80000
  // (24 GB of pixels if anyone tried to allocate them).
  auto put32 = [&](size_t at, std::uint32_t v) {
    for (int k = 0; k < 4; ++k) png[at + k] = std::uint8_t(v >> (24 - 8 * k));
  };
  put32(16, 100000);
  put32(20, 80000);
  const fs::path p = test::scratch_dir() / "huge.png";
  write_bytes(p, png);
  const auto r = load_image(p.string());
  EXPECT_EQ(r.error, ImageError::TooLarge);
  expect_names_file(r, p);
  EXPECT_NE(r.message.find("100000x80000"), std::string::npos) << r.message;
  EXPECT_EQ(r.header.width, 100000);
}

TEST(ImageLoader, JpegAboveLimitRefused) {
  LP_REQUIRE_SHARED("media/s1.jpg");
  // s1 is 1145 px: with a limit of 1000 the header check must refuse it.
  ImageLoadOptions opt;
  opt.max_side = 1000;
  const auto r = load_image(test::media("s1.jpg").string(), opt);
  EXPECT_EQ(r.error, ImageError::TooLarge);
  expect_names_file(r, test::media("s1.jpg"));
}

TEST(ImageLoader, VideoIsNotAnImage) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  const auto r = load_image(test::media("d0.mp4").string());
  EXPECT_EQ(r.error, ImageError::NotAnImage);
  expect_names_file(r, test::media("d0.mp4"));
  EXPECT_NE(r.message.find("video"), std::string::npos) << r.message;
}

TEST(ImageLoader, UnreadableFile) {
  LP_REQUIRE_SHARED("media/s42.jpg");
  const fs::path p = test::scratch_dir() / "locked.jpg";
  fs::copy_file(test::media("s42.jpg"), p);
  fs::permissions(p, fs::perms::none);
  if (::access(p.c_str(), R_OK) == 0) {
    fs::permissions(p, fs::perms::owner_all);
    GTEST_SKIP() << "running as root (or with CAP_DAC_OVERRIDE): chmod 000 does not make a file unreadable here";
  }
  const auto r = load_image(p.string());
  fs::permissions(p, fs::perms::owner_all);
  EXPECT_EQ(r.error, ImageError::Unreadable);
  expect_names_file(r, p);
  EXPECT_NE(r.message.find("permission"), std::string::npos) << r.message;
}

TEST(SniffMedia, ClassifiesByContent) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  EXPECT_EQ(sniff_media(test::media("s1.jpg").string()), MediaKind::Image);
  EXPECT_EQ(sniff_media(test::media("d0.mp4").string()), MediaKind::Video);
  EXPECT_EQ(sniff_media(test::media("d3.mp4").string()), MediaKind::Video);
  const fs::path dir = test::scratch_dir();
  const fs::path txt = dir / "readme.txt";
  std::ofstream(txt) << "plain text that FFmpeg's tty demuxer would happily open by extension\n";
  std::string why;
  EXPECT_EQ(sniff_media(txt.string(), &why), MediaKind::Unknown);
  EXPECT_FALSE(why.empty());
  const fs::path empty = dir / "empty.mp4";
  std::ofstream(empty).close();
  EXPECT_EQ(sniff_media(empty.string(), &why), MediaKind::Unknown);
  EXPECT_NE(why.find("0 bytes"), std::string::npos);
}

TEST(ImageLoader, JpegVariantsAreWalkedCorrectly) {
  // Progressive (many scans) and restart-marker JPEGs load; cut copies do not.
  cv::Mat img(200, 300, CV_8UC3);
  cv::randu(img, 0, 255);
  const fs::path dir = test::scratch_dir();
  const std::vector<std::pair<const char*, std::vector<int>>> variants = {
      {"progressive", {cv::IMWRITE_JPEG_PROGRESSIVE, 1}},
      {"restart", {cv::IMWRITE_JPEG_RST_INTERVAL, 4}},
      {"baseline", {cv::IMWRITE_JPEG_QUALITY, 90}}};
  for (const auto& [name, params] : variants) {
    std::vector<std::uint8_t> jpg;
    ASSERT_TRUE(cv::imencode(".jpg", img, jpg, params));
    const fs::path good = dir / (std::string(name) + ".jpg");
    write_bytes(good, jpg);
    const auto ok = load_image(good.string());
    EXPECT_TRUE(ok.ok()) << name << ": " << ok.message;
    EXPECT_EQ(ok.header.width, 300) << name;
    EXPECT_EQ(ok.header.height, 200) << name;
    for (double fraction : {0.3, 0.9, 0.999}) {
      std::vector<std::uint8_t> cut(jpg.begin(), jpg.begin() + long(double(jpg.size()) * fraction));
      const fs::path bad = dir / (std::string(name) + "_cut.jpg");
      write_bytes(bad, cut);
      const auto r = load_image(bad.string());
      EXPECT_EQ(r.error, ImageError::Truncated) << name << " cut at " << fraction << ": " << r.message;
    }
  }
}

// A cut-out portrait: its transparent pixels show white (as viewers show
// them), not the colour the file happens to keep under them; opaque pixels
// are untouched and half-transparent ones are blended.
TEST(ImageLoader, TransparentPixelsAreFlattenedOntoWhite) {
  const fs::path dir = test::scratch_dir();
  cv::Mat bgra(64, 96, CV_8UC4, cv::Scalar(40, 90, 200, 255));
  bgra(cv::Rect(0, 0, 32, 64)).setTo(cv::Scalar(255, 0, 255, 0));     // magenta under full transparency
  bgra(cv::Rect(32, 0, 32, 64)).setTo(cv::Scalar(0, 0, 0, 128));      // black at half opacity
  for (const char* name : {"cutout.png", "cutout.webp"}) {
    SCOPED_TRACE(name);
    const fs::path p = dir / name;
    std::vector<int> params;
    if (std::string(name).find("webp") != std::string::npos) params = {cv::IMWRITE_WEBP_QUALITY, 101};  // lossless
    ASSERT_TRUE(cv::imwrite(p.string(), bgra, params));
    ImageLoadResult r = load_image(p.string());
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_TRUE(r.header.may_have_alpha);
    ASSERT_EQ(r.image.type(), CV_8UC3);
    EXPECT_EQ(r.image.at<cv::Vec3b>(10, 10), cv::Vec3b(255, 255, 255));
    const cv::Vec3b half = r.image.at<cv::Vec3b>(10, 40);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(half[c], 127, 2);
    EXPECT_EQ(r.image.at<cv::Vec3b>(10, 80), cv::Vec3b(40, 90, 200));
  }
}
