// The newest-frame mailbox: newest wins, a reader never sees a half-written
// value, and closing never leaves a thread stuck.
#include "common/frame_mailbox.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <future>
#include <thread>

using namespace lp;
using namespace std::chrono_literals;

TEST(FrameMailbox, NewestWinsAndStaleAreDropped) {
  FrameMailbox<int> box;
  EXPECT_FALSE(box.try_take().has_value());
  box.publish(1);
  box.publish(2);
  box.publish(3);
  auto v = box.try_take();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, 3);
  EXPECT_FALSE(box.try_take().has_value());  // taken: not delivered twice
  EXPECT_EQ(box.published(), 3u);
  EXPECT_EQ(box.dropped(), 2u);
}

namespace {
// A large value whose consistency can be checked: every word derives from seq.
struct BigFrame {
  std::uint64_t seq = 0;
  std::array<std::uint64_t, 8192> words{};
  std::uint64_t checksum = 0;
  static BigFrame make(std::uint64_t seq) {
    BigFrame f;
    f.seq = seq;
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < f.words.size(); ++i) {
      f.words[i] = seq * 0x9E3779B97F4A7C15ull + i;
      sum += f.words[i];
    }
    f.checksum = sum;
    return f;
  }
  bool consistent() const {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < words.size(); ++i) {
      if (words[i] != seq * 0x9E3779B97F4A7C15ull + i) return false;
      sum += words[i];
    }
    return sum == checksum;
  }
};
}  // namespace

TEST(FrameMailbox, NoTearingUnderConcurrentPublish) {
  FrameMailbox<BigFrame> box;
  constexpr std::uint64_t kFrames = 3000;
  std::thread writer([&] {
    for (std::uint64_t s = 1; s <= kFrames; ++s) box.publish(BigFrame::make(s));
    box.close();
  });
  std::uint64_t last = 0, seen = 0, torn = 0, backwards = 0;
  while (auto f = box.wait_take(5s)) {
    ++seen;
    if (!f->consistent()) ++torn;
    if (f->seq <= last) ++backwards;
    last = f->seq;
  }
  writer.join();
  EXPECT_GT(seen, 0u);
  EXPECT_EQ(torn, 0u);
  EXPECT_EQ(backwards, 0u);  // newer values only, never an older one after a newer
  EXPECT_EQ(box.published(), kFrames);
}

TEST(FrameMailbox, CloseWakesBlockedReader) {
  FrameMailbox<int> box;
  std::promise<bool> got_value;
  auto result = got_value.get_future();
  std::thread reader([&] { got_value.set_value(box.wait_take().has_value()); });  // no timeout
  std::this_thread::sleep_for(50ms);  // let it block
  box.close();
  ASSERT_EQ(result.wait_for(10s), std::future_status::ready) << "reader still blocked after close(): deadlock";
  EXPECT_FALSE(result.get());
  reader.join();
  EXPECT_FALSE(box.publish(7));  // refused once closed
  EXPECT_FALSE(box.try_take().has_value());
  box.reopen();
  EXPECT_TRUE(box.publish(8));
  EXPECT_EQ(box.try_take().value_or(0), 8);
}

TEST(FrameMailbox, ShutdownWithBusyProducerAndConsumer) {
  // Producer and consumer both running flat out; close() from a third thread
  // must let both finish.
  FrameMailbox<std::vector<int>> box;
  std::atomic<bool> producing{true};
  std::thread producer([&] {
    int i = 0;
    while (box.publish(std::vector<int>(1000, i++))) {
    }
    producing = false;
  });
  std::thread consumer([&] {
    while (box.wait_take(1s)) {
    }
  });
  std::this_thread::sleep_for(100ms);
  box.close();
  auto joined = std::async(std::launch::async, [&] {
    producer.join();
    consumer.join();
  });
  ASSERT_EQ(joined.wait_for(10s), std::future_status::ready) << "threads did not stop after close()";
  EXPECT_FALSE(producing);
}
