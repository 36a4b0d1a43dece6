#pragma once
// FrameMailbox<T>: a one-slot, newest-wins hand-over between threads.
//
// Live video must show the newest frame, never a backlog: a producer (capture,
// engine) publishes into the slot and overwrites whatever the consumer has not
// taken yet (counted as dropped). The consumer takes the value out whole, under
// the lock, so it never sees a half-written value ("no tearing") whatever T is.
// close() wakes every waiter and makes further waits return at once, so a
// thread blocked in wait_take() can always be joined at shutdown.
//
// Header-only and dependency-free so every layer (core, media, session, app)
// can use it without a dependency cycle.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <utility>

namespace lp {

template <class T>
class FrameMailbox {
 public:
  FrameMailbox() = default;
  FrameMailbox(const FrameMailbox&) = delete;
  FrameMailbox& operator=(const FrameMailbox&) = delete;

  // Puts `value` in the slot, replacing an untaken one (which counts as
  // dropped). Returns false, and drops nothing, once the mailbox is closed.
  bool publish(T value) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_) return false;
      if (slot_.has_value()) ++dropped_;
      slot_ = std::move(value);
      ++published_;
    }
    cv_.notify_all();
    return true;
  }

  // Takes the newest value if there is one; never blocks.
  std::optional<T> try_take() {
    std::lock_guard<std::mutex> lock(mutex_);
    return take_locked();
  }

  // Waits until a value is available, the mailbox is closed, or `timeout`
  // passes. Returns the value, or nullopt on close/timeout.
  template <class Rep, class Period>
  std::optional<T> wait_take(std::chrono::duration<Rep, Period> timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, timeout, [&] { return closed_ || slot_.has_value(); });
    if (closed_) return std::nullopt;
    return take_locked();
  }

  // Waits without a time limit until a value is available or the mailbox closes.
  std::optional<T> wait_take() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return closed_ || slot_.has_value(); });
    if (closed_) return std::nullopt;
    return take_locked();
  }

  // Closes the mailbox: waiters return nullopt, publish() is refused. The
  // untaken value (if any) is discarded. Idempotent.
  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
      slot_.reset();
    }
    cv_.notify_all();
  }

  // Re-opens a closed mailbox (e.g. when a new capture starts). Counters keep going.
  void reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = false;
  }

  bool closed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return closed_;
  }
  bool has_value() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return slot_.has_value();
  }
  // Values published in total, and values overwritten before anyone took them.
  std::uint64_t published() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return published_;
  }
  std::uint64_t dropped() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return dropped_;
  }

 private:
  std::optional<T> take_locked() {
    std::optional<T> out;
    if (slot_.has_value()) {
      out = std::move(slot_);
      slot_.reset();
    }
    return out;
  }

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<T> slot_;
  bool closed_ = false;
  std::uint64_t published_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace lp
