#pragma once
// The GUI's "Export...": the offline render (every frame, full quality, audio
// kept) on a background thread, with progress and cancel, while the live
// preview keeps running. Same implementation as `livepuppet-cli render`.
#include "session/offline_render.h"

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

namespace lp {

class ExportJob {
 public:
  ~ExportJob();  // cancels and joins
  // Starts an export; false when one is already running.
  bool start(const RenderRequest& request);
  void cancel() { cancel_.store(true); }
  bool running() const { return running_.load(); }
  RenderProgress progress() const;
  // The result once finished (ok / cancelled / error); cleared by take_result.
  bool take_result(RenderResult& out);

 private:
  std::thread thread_;
  std::atomic<bool> cancel_{false};
  std::atomic<bool> running_{false};
  mutable std::mutex mu_;
  RenderProgress progress_;
  bool has_result_ = false;
  RenderResult result_;
};

}  // namespace lp
