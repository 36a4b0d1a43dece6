#include "vision/face_detector.h"
#include "common/stopwatch.h"

#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#ifdef LIVEPUPPET_HAVE_BZIP2
#include <bzlib.h>
#endif

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

namespace fs = std::filesystem;

namespace lp {

const char* to_string(DetectStatus s) {
  switch (s) {
    case DetectStatus::Ok: return "ok";
    case DetectStatus::NoFace: return "no face found";
    case DetectStatus::InvalidImage: return "invalid image";
    case DetectStatus::ModelError: return "landmark model unavailable";
    case DetectStatus::Cancelled: return "cancelled";
  }
  return "?";
}

namespace {

constexpr const char* kModelName = "shape_predictor_68_face_landmarks.dat";
constexpr const char* kSystemModelDir = "/usr/share/dlib";
// Smaller images cannot hold a detectable face (dlib's HOG window is 80 px,
// 40 px with one upsample) and are almost always a decoding accident.
constexpr int kMinImageSide = 16;

std::string describe(const std::string& source_name) {
  return source_name.empty() ? std::string("image") : "'" + source_name + "'";
}

fs::path cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "livepuppet";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "livepuppet";
  return fs::temp_directory_path() / "livepuppet-cache";
}

// Decompresses src (.bz2) into dst via a temporary file and an atomic rename,
// so a concurrent or interrupted run never leaves a truncated model behind.
bool bunzip2_file(const fs::path& src, const fs::path& dst, std::string* why) {
  std::error_code ec;
  fs::create_directories(dst.parent_path(), ec);
  if (ec) {
    *why = "cannot create cache directory " + dst.parent_path().string() + ": " + ec.message();
    return false;
  }
  const fs::path tmp = dst.string() + ".tmp" + std::to_string(::getpid());
  bool ok = false;
#ifdef LIVEPUPPET_HAVE_BZIP2
  {
    FILE* in = std::fopen(src.c_str(), "rb");
    FILE* out = in ? std::fopen(tmp.c_str(), "wb") : nullptr;
    if (!in || !out) {
      *why = "cannot open " + (in ? tmp.string() : src.string());
    } else {
      int err = BZ_OK;
      BZFILE* bz = BZ2_bzReadOpen(&err, in, 0, 0, nullptr, 0);
      char buf[1 << 16];
      while (err == BZ_OK) {
        const int n = BZ2_bzRead(&err, bz, buf, sizeof buf);
        if ((err == BZ_OK || err == BZ_STREAM_END) && n > 0 &&
            std::fwrite(buf, 1, static_cast<size_t>(n), out) != static_cast<size_t>(n)) {
          err = BZ_IO_ERROR;
        }
      }
      ok = (err == BZ_STREAM_END);
      if (!ok) *why = "bzip2 error " + std::to_string(err) + " while unpacking " + src.string();
      BZ2_bzReadClose(&err, bz);
    }
    if (out && std::fclose(out) != 0) ok = false;
    if (in) std::fclose(in);
  }
#else
  {
    const std::string cmd = "bzip2 -dc '" + src.string() + "' > '" + tmp.string() + "'";
    ok = std::system(cmd.c_str()) == 0;
    if (!ok) *why = "'bzip2 -dc' failed on " + src.string() + " (is bzip2 installed?)";
  }
#endif
  if (ok && fs::file_size(tmp, ec) > 0) {
    fs::rename(tmp, dst, ec);
    if (!ec) return true;
    *why = "cannot move unpacked model to " + dst.string() + ": " + ec.message();
  }
  fs::remove(tmp, ec);
  return false;
}

// Resolves a user- or system-provided path: a .dat is used as is, a .bz2 is
// unpacked once into the cache.
std::string resolve_model(const fs::path& p, std::string* why) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return {};
  if (p.extension() != ".bz2") return p.string();
  const fs::path dst = cache_dir() / p.stem();  // drops ".bz2"
  if (fs::is_regular_file(dst, ec) && fs::file_size(dst, ec) > 0) return dst.string();
  if (bunzip2_file(p, dst, why)) return dst.string();
  return {};
}

// Converts supported inputs to an 8-bit 1- or 3-channel image without copying
// when possible. Returns an error message on unsupported input.
std::string normalise_input(const cv::Mat& in, cv::Mat& out) {
  if (in.empty()) return "the image is empty (it could not be decoded or has no pixels)";
  if (in.dims != 2) return "the image has " + std::to_string(in.dims) + " dimensions";
  if (in.cols < kMinImageSide || in.rows < kMinImageSide) {
    return "the image is too small (" + std::to_string(in.cols) + "x" + std::to_string(in.rows) +
           " pixels) to contain a face";
  }
  if (in.depth() != CV_8U) return "unsupported pixel format (expected 8-bit channels)";
  switch (in.channels()) {
    case 1:
    case 3: out = in; return {};
    case 4: cv::cvtColor(in, out, cv::COLOR_BGRA2BGR); return {};
    default: return "unsupported number of channels (" + std::to_string(in.channels()) + ")";
  }
}

dlib::rectangle to_dlib(const cv::Rect2f& r) {
  return dlib::rectangle(static_cast<long>(std::lround(r.x)), static_cast<long>(std::lround(r.y)),
                         static_cast<long>(std::lround(r.x + r.width)) - 1,
                         static_cast<long>(std::lround(r.y + r.height)) - 1);
}

template <typename Image>
void run_predictor(const dlib::shape_predictor& sp, const Image& img, const cv::Rect2f& box,
                   Landmarks68& out) {
  const dlib::full_object_detection shape = sp(img, to_dlib(box));
  for (int i = 0; i < kNumLandmarks && i < static_cast<int>(shape.num_parts()); ++i) {
    const dlib::point& p = shape.part(static_cast<unsigned long>(i));
    out[static_cast<size_t>(i)] = cv::Point2f(static_cast<float>(p.x()), static_cast<float>(p.y()));
  }
}

}  // namespace

struct FaceDetector::Impl {
  std::shared_ptr<const dlib::shape_predictor> predictor;
  std::string path;
  std::string error;
  mutable std::mutex detector_mutex;  // dlib's object_detector is stateful
  // Built only once the landmark model loaded (decoding dlib's embedded HOG
  // model costs ~0.5 s); clones copy it instead of decoding it again.
  mutable std::unique_ptr<dlib::frontal_face_detector> detector;

  void predict(const cv::Mat& img8, const cv::Rect2f& box, Landmarks68& out) const {
    if (img8.channels() == 1) {
      run_predictor(*predictor, dlib::cv_image<unsigned char>(img8), box, out);
    } else {
      run_predictor(*predictor, dlib::cv_image<dlib::bgr_pixel>(img8), box, out);
    }
  }
};

std::string FaceDetector::default_predictor_path(std::string* why) {
  std::string reason;
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("LIVEPUPPET_DLIB_MODEL"); env && *env) candidates.emplace_back(env);
  candidates.emplace_back(fs::path(kSystemModelDir) / kModelName);
  candidates.emplace_back(fs::path(kSystemModelDir) / (std::string(kModelName) + ".bz2"));
  candidates.emplace_back(cache_dir() / kModelName);  // unpacked earlier
  for (const fs::path& c : candidates) {
    std::string r = resolve_model(c, &reason);
    if (!r.empty()) return r;
  }
  if (why) {
    std::ostringstream os;
    os << "dlib's 68-point landmark model (" << kModelName << ") was not found";
    if (!reason.empty()) os << " (" << reason << ")";
    os << "; install the Debian package libdlib-data (scripts/install-deps.sh) or set "
          "LIVEPUPPET_DLIB_MODEL to the .dat or .dat.bz2 file";
    *why = os.str();
  }
  return {};
}

FaceDetector::FaceDetector(CloneTag) : impl_(std::make_unique<Impl>()) {}

FaceDetector::FaceDetector(const std::string& predictor_path) : impl_(std::make_unique<Impl>()) {
  std::string path;
  if (predictor_path.empty()) {
    path = default_predictor_path(&impl_->error);
    if (path.empty()) return;
  } else {
    std::string why;
    path = resolve_model(predictor_path, &why);
    if (path.empty()) {
      impl_->error = "landmark model '" + predictor_path + "' " +
                     (why.empty() ? std::string("does not exist or is not a file") : "could not be used: " + why);
      return;
    }
  }
  try {
    auto sp = std::make_shared<dlib::shape_predictor>();
    dlib::deserialize(path) >> *sp;
    if (sp->num_parts() != static_cast<unsigned long>(kNumLandmarks)) {
      impl_->error = "landmark model '" + path + "' has " + std::to_string(sp->num_parts()) +
                     " points; the 68-point model is required";
      return;
    }
    impl_->detector = std::make_unique<dlib::frontal_face_detector>(dlib::get_frontal_face_detector());
    impl_->predictor = std::move(sp);
    impl_->path = path;
  } catch (const std::exception& e) {
    impl_->error = "landmark model '" + path + "' could not be read: " + e.what();
  }
}

FaceDetector::~FaceDetector() = default;

bool FaceDetector::ready() const { return impl_ && impl_->predictor && impl_->detector; }
const std::string& FaceDetector::load_error() const { return impl_->error; }
const std::string& FaceDetector::predictor_path() const { return impl_->path; }

std::unique_ptr<FaceDetector> FaceDetector::clone() const {
  std::unique_ptr<FaceDetector> c(new FaceDetector(CloneTag{}));
  if (impl_->detector) {
    std::lock_guard<std::mutex> lock(impl_->detector_mutex);
    c->impl_->detector = std::make_unique<dlib::frontal_face_detector>(*impl_->detector);
  }
  c->impl_->predictor = impl_->predictor;
  c->impl_->path = impl_->path;
  c->impl_->error = impl_->error;
  return c;
}

bool FaceDetector::predict_landmarks(const cv::Mat& image, const cv::Rect2f& box,
                                     Landmarks68& out) const {
  if (!ready()) return false;
  cv::Mat img8;
  if (!normalise_input(image, img8).empty()) return false;
  if (!(box.width > 1.f && box.height > 1.f)) return false;
  try {
    impl_->predict(img8, box, out);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

float FaceDetector::face_score(const cv::Mat& image, const cv::Rect2f& box) const {
  if (!ready() || !(box.width > 1.f)) return kNoFaceScore;
  cv::Mat img8;
  if (!normalise_input(image, img8).empty()) return kNoFaceScore;
  try {
    // The box centre at the middle of a 144 px window, the box side at 90 px:
    // above the HOG window (80 px) at the first pyramid level, so the face is
    // found in 2-3 levels.
    constexpr int kWin = 144;
    constexpr double kFace = 90.0;
    const double k = kFace / box.width;
    const double cx = box.x + box.width / 2.0, cy = box.y + box.height / 2.0;
    const cv::Matx23d M(k, 0, kWin / 2.0 - k * cx, 0, k, kWin / 2.0 - k * cy);
    cv::Mat win, gray;
    cv::warpAffine(img8, win, M, cv::Size(kWin, kWin), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    if (win.channels() == 3) cv::cvtColor(win, gray, cv::COLOR_BGR2GRAY);
    else gray = win;
    std::vector<dlib::rect_detection> dets;
    {
      std::lock_guard<std::mutex> lock(impl_->detector_mutex);
      (*impl_->detector)(dlib::cv_image<unsigned char>(gray), dets, -1.0);
    }
    float best = kNoFaceScore;
    for (const dlib::rect_detection& d : dets) {
      const double dx = (d.rect.left() + d.rect.right()) / 2.0 - kWin / 2.0;
      const double dy = (d.rect.top() + d.rect.bottom()) / 2.0 - kWin / 2.0;
      if (std::hypot(dx, dy) < 0.4 * kFace) best = std::max(best, static_cast<float>(d.detection_confidence));
    }
    return best;
  } catch (const std::exception&) {
    return kNoFaceScore;
  }
}

DetectionResult FaceDetector::detect_file(const std::string& path, DetectOptions opts) const {
  if (opts.source_name.empty()) opts.source_name = path;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    DetectionResult r;
    r.status = DetectStatus::InvalidImage;
    r.message = "cannot read '" + path + "': the file does not exist";
    return r;
  }
  if (fs::is_regular_file(path, ec) && fs::file_size(path, ec) == 0) {
    DetectionResult r;
    r.status = DetectStatus::InvalidImage;
    r.message = "cannot read '" + path + "': the file is empty (0 bytes)";
    return r;
  }
  cv::Mat img;
  try {
    img = cv::imread(path, cv::IMREAD_COLOR);
  } catch (const std::exception& e) {
    DetectionResult r;
    r.status = DetectStatus::InvalidImage;
    r.message = "cannot decode '" + path + "': " + e.what();
    return r;
  }
  if (img.empty()) {
    DetectionResult r;
    r.status = DetectStatus::InvalidImage;
    r.message = "cannot decode '" + path + "': not an image or the file is corrupt";
    return r;
  }
  return detect(img, opts);
}

DetectionResult FaceDetector::detect(const cv::Mat& image, const DetectOptions& opts) const {
  DetectionResult r;
  if (!ready()) {
    r.status = DetectStatus::ModelError;
    r.message = impl_->error.empty() ? "the landmark model is not loaded" : impl_->error;
    return r;
  }
  const double cpu0 = thread_cpu_ms();
  cv::Mat img8;
  if (std::string why = normalise_input(image, img8); !why.empty()) {
    r.status = DetectStatus::InvalidImage;
    r.message = "cannot use " + describe(opts.source_name) + ": " + why;
    return r;
  }

  try {
    // Detection image: gray (HOG on luminance is ~3x cheaper than on colour and
    // finds the same faces), downscaled for large inputs, optionally upsampled.
    const int long_side = std::max(img8.cols, img8.rows);
    const double down = opts.max_detect_side > 0 && long_side > opts.max_detect_side
                            ? static_cast<double>(opts.max_detect_side) / long_side
                            : 1.0;
    cv::Mat gray;
    if (img8.channels() == 3) cv::cvtColor(img8, gray, cv::COLOR_BGR2GRAY);
    else gray = img8;
    cv::Mat small;
    if (down < 1.0) cv::resize(gray, small, cv::Size(), down, down, cv::INTER_AREA);
    else small = gray;

    std::vector<dlib::rect_detection> dets;
    double det_scale = down;
    const auto t0 = std::chrono::steady_clock::now();
    bool cancelled = false;
    auto run = [&](int upsample) {
      dets.clear();
      cv::Mat work = small;
      double s = down;
      if (upsample > 0) {
        const double f = static_cast<double>(1 << upsample);
        cv::resize(small, work, cv::Size(), f, f, cv::INTER_LINEAR);
        s *= f;
      }
      det_scale = s;
      std::lock_guard<std::mutex> lock(impl_->detector_mutex);
      if (opts.cancelled && opts.cancelled()) {
        cancelled = true;
        return;
      }
      (*impl_->detector)(dlib::cv_image<unsigned char>(work), dets, opts.adjust_threshold);
    };
    const int up = std::clamp(opts.upsample, 0, 3);
    run(up);
    if (!cancelled && dets.empty() && opts.upsample_if_none && up < 3 &&
        static_cast<double>(small.total()) * (1 << (2 * up)) <= 1.0e6) {
      run(up + 1);
    }
    r.detect_ms = ms_since(t0);
    if (cancelled) {
      r.status = DetectStatus::Cancelled;
      r.message = "face search cancelled for " + describe(opts.source_name);
      return r;
    }

    const auto t1 = std::chrono::steady_clock::now();
    r.faces.reserve(dets.size());
    for (const dlib::rect_detection& d : dets) {
      Face f;
      const dlib::rectangle& b = d.rect;
      f.box = cv::Rect2f(static_cast<float>(b.left() / det_scale), static_cast<float>(b.top() / det_scale),
                         static_cast<float>((b.width()) / det_scale),
                         static_cast<float>((b.height()) / det_scale));
      f.confidence = static_cast<float>(d.detection_confidence);
      impl_->predict(img8, f.box, f.landmarks);  // full resolution
      r.faces.push_back(f);
    }
    std::stable_sort(r.faces.begin(), r.faces.end(),
                     [](const Face& a, const Face& b) { return a.box.area() > b.box.area(); });
    if (opts.max_faces > 0 && static_cast<int>(r.faces.size()) > opts.max_faces) {
      r.faces.resize(static_cast<size_t>(opts.max_faces));
    }
    for (size_t i = 0; i < r.faces.size(); ++i) r.faces[i].index = static_cast<int>(i);
    r.landmarks_ms = ms_since(t1);
    r.cpu_ms = thread_cpu_ms() - cpu0;
  } catch (const std::exception& e) {
    r.faces.clear();
    r.status = DetectStatus::InvalidImage;
    r.message = "face detection failed on " + describe(opts.source_name) + ": " + e.what();
    return r;
  }

  if (r.faces.empty()) {
    r.status = DetectStatus::NoFace;
    r.message = "no face found in " + describe(opts.source_name) +
                "; use a photo or painting with a clearly visible, roughly frontal face";
  } else {
    r.status = DetectStatus::Ok;
  }
  return r;
}

}  // namespace lp
