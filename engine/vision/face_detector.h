#pragma once
// Face detection and 68-point landmarks with dlib: the HOG frontal face
// detector finds face boxes, the iBUG 68-point shape predictor places landmarks
// inside a box. dlib stays behind a pimpl so its heavy headers never reach
// callers.
//
// Errors: detect() never throws; bad input (empty, 1x1, wrong type, corrupt
// file) and a missing model come back as a DetectionResult with a status and a
// message that names the file (when known) and the reason.
//
// Thread-safety: one FaceDetector may be shared by several threads.
//  - detect() serialises on an internal mutex, because dlib's HOG
//    object_detector keeps scratch state and is not safe to call concurrently.
//    Threads that must detect in parallel should each own a FaceDetector
//    (the 100 MB shape model is shared between copies made with clone()).
//  - predict_landmarks() is lock-free: dlib's shape_predictor is immutable
//    once loaded, so any number of threads may call it at once.
#include "vision/face.h"

#include <opencv2/core.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lp {

enum class DetectStatus {
  Ok,            // at least one face; faces[0] is the largest
  NoFace,        // a valid image without a (detectable) human face
  InvalidImage,  // empty, too small, unreadable or unsupported pixel type
  ModelError,    // the landmark model could not be loaded
  Cancelled,     // DetectOptions::cancelled said so before the search ran
};
const char* to_string(DetectStatus s);

struct DetectOptions {
  // Images whose longer side exceeds this are detected on an INTER_AREA
  // downscaled copy (HOG cost grows with the pixel count); boxes are mapped
  // back and landmarks are always predicted on the full-resolution image.
  int max_detect_side = 800;
  // Extra 2x pyramid levels on the detection image: dlib's HOG window is 80 px,
  // so faces smaller than that need upsample >= 1 (slow: ~4x per level).
  int upsample = 0;
  // When nothing is found, retry once with one more upsample level if the
  // detection image is small enough that this stays affordable (<= 1 MPix).
  bool upsample_if_none = true;
  // Added to dlib's decision threshold: < 0 finds more (and more false) faces.
  double adjust_threshold = 0.0;
  // Keep at most this many faces (largest first); 0 = all.
  int max_faces = 0;
  // Name used in messages (e.g. the file name); optional.
  std::string source_name;
  // Optional: asked once the detector is free (searches run one at a time)
  // and before a retry with more upsampling. True stops with Cancelled: a
  // portrait request that a newer one replaced does not wait its turn only to
  // search an image nobody will see.
  std::function<bool()> cancelled;
};

struct DetectionResult {
  DetectStatus status = DetectStatus::InvalidImage;
  std::string message;      // empty when ok(); a user-facing sentence otherwise
  std::vector<Face> faces;  // sorted largest first, index = position
  double detect_ms = 0.0;   // time spent in the HOG detector
  double landmarks_ms = 0.0;
  double cpu_ms = 0.0;      // CPU time of detect() on its thread (robust to a busy machine)

  bool ok() const { return status == DetectStatus::Ok && !faces.empty(); }
  const Face& largest() const { return faces.front(); }  // requires ok()
};

class FaceDetector {
 public:
  // Loads the HOG detector and the 68-point shape model. Never throws: check
  // ready()/load_error(). An empty path searches default_predictor_path().
  explicit FaceDetector(const std::string& predictor_path = {});
  ~FaceDetector();
  FaceDetector(const FaceDetector&) = delete;
  FaceDetector& operator=(const FaceDetector&) = delete;

  bool ready() const;
  const std::string& load_error() const;     // why !ready()
  const std::string& predictor_path() const;  // the .dat actually loaded

  // A new detector with its own HOG state sharing this one's shape model
  // (cheap: no model reload). For parallel detection on several threads.
  std::unique_ptr<FaceDetector> clone() const;

  // All faces in a BGR (CV_8UC3), BGRA (CV_8UC4) or gray (CV_8UC1) image.
  DetectionResult detect(const cv::Mat& image, const DetectOptions& opts = {}) const;
  // Reads the file (cv::imread) and detects; messages name the file.
  DetectionResult detect_file(const std::string& path, DetectOptions opts = {}) const;

  // 68 landmarks inside a face box (image pixels). Used by the tracker with a
  // box derived from the previous frame. Image as for detect(); returns false
  // only for an unusable image or an unloaded model.
  bool predict_landmarks(const cv::Mat& image, const cv::Rect2f& box, Landmarks68& out) const;

  // How face-like the region of `box` is: the HOG detector run on a small
  // window around the box, rescaled so the face is ~90 px (~2-5 ms whatever the
  // image size). Returns the best detection score near the box centre, or
  // kNoFaceScore when there is none above -1. Real faces score > 0 (the
  // detector's own threshold), background/animals < -0.5. The tracker uses it
  // to notice that a track drifted off the face. Serialises like detect().
  static constexpr float kNoFaceScore = -10.f;
  float face_score(const cv::Mat& image, const cv::Rect2f& box) const;

  // Where the 68-point model is looked for, in order: $LIVEPUPPET_DLIB_MODEL,
  // /usr/share/dlib/shape_predictor_68_face_landmarks.dat, the same with .bz2
  // (decompressed once into $XDG_CACHE_HOME/livepuppet/, ~/.cache/livepuppet/).
  // Returns the first usable .dat path, or an empty string with *why set.
  static std::string default_predictor_path(std::string* why = nullptr);

 private:
  struct Impl;
  struct CloneTag {};
  explicit FaceDetector(CloneTag);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lp
