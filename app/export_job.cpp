#include "export_job.h"

namespace lp {

ExportJob::~ExportJob() {
  cancel_.store(true);
  if (thread_.joinable()) thread_.join();
}

bool ExportJob::start(const RenderRequest& request) {
  if (running_.load()) return false;
  if (thread_.joinable()) thread_.join();
  cancel_.store(false);
  running_.store(true);
  {
    std::lock_guard<std::mutex> l(mu_);
    progress_ = RenderProgress{};
    has_result_ = false;
  }
  thread_ = std::thread([this, request] {
    RenderResult r;
    try {
      r = render_offline(request, &cancel_, [this](const RenderProgress& p) {
        std::lock_guard<std::mutex> l(mu_);
        progress_ = p;
      });
    } catch (const std::exception& e) {  // never take the GUI down with an export
      r.out = request.out;
      r.error = e.what();
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      result_ = r;
      has_result_ = true;
    }
    running_.store(false);
  });
  return true;
}

RenderProgress ExportJob::progress() const {
  std::lock_guard<std::mutex> l(mu_);
  return progress_;
}

bool ExportJob::take_result(RenderResult& out) {
  std::lock_guard<std::mutex> l(mu_);
  if (!has_result_) return false;
  out = result_;
  has_result_ = false;
  return true;
}

}  // namespace lp
