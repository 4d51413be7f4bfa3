// Reconnect backoff (full jitter, 1 s → 60 s) and the unacknowledged-telemetry ring buffer.
#include <set>

#include "../core/backoff.h"
#include "../core/outbox.h"
#include "runner.h"

TEST(backoff_ceiling_doubles_from_1s_to_the_60s_cap) {
  sv::Backoff b(42);
  const uint32_t want[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000};
  for (uint32_t w : want) {
    CHECK_EQ(b.ceilingMs(), w);
    b.nextDelayMs();
  }
  for (int i = 0; i < 100; ++i) b.nextDelayMs();  // no overflow however long the outage
  CHECK_EQ(b.ceilingMs(), 60000);
}

TEST(backoff_full_jitter_stays_within_zero_and_the_ceiling) {
  sv::Backoff b(7);
  for (int i = 0; i < 2000; ++i) {
    uint32_t ceiling = b.ceilingMs();
    uint32_t d = b.nextDelayMs();
    CHECK(d <= ceiling);
    if (i % 10 == 9) b.reset();
  }
  b.reset();
  CHECK_EQ(b.ceilingMs(), 1000);
  CHECK_EQ(b.attempts(), 0);
}

TEST(backoff_spreads_delays_across_devices) {
  std::set<uint32_t> firsts;
  uint32_t lowHalf = 0;
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    sv::Backoff b(seed * 2654435761u);
    for (int i = 0; i < 6; ++i) b.nextDelayMs();
    uint32_t d = b.nextDelayMs();  // ceiling 60 s
    firsts.insert(d / 1000);
    lowHalf += d < 30000 ? 1 : 0;
  }
  CHECK(firsts.size() > 40);                  // not all in the same second
  CHECK(lowHalf > 60 && lowHalf < 140);       // roughly uniform
}

namespace {
sv::Telemetry reading(uint32_t seq) {
  sv::Telemetry t;
  t.seq = seq;
  return t;
}
}  // namespace

TEST(outbox_drops_a_message_only_on_its_puback) {
  sv::Outbox o;
  o.push(reading(1));
  o.push(reading(2));
  const sv::Telemetry* a = o.nextToSend();
  CHECK_EQ(a->seq, 1);
  o.sent(a, 11);
  const sv::Telemetry* b = o.nextToSend();
  CHECK_EQ(b->seq, 2);
  o.sent(b, 12);
  CHECK(o.nextToSend() == nullptr);
  CHECK_EQ(o.inFlight(), 2);
  CHECK(o.acked(12));  // PUBACKs may come out of order
  CHECK(!o.acked(12));
  CHECK(!o.acked(99));  // a status or ack PUBACK
  CHECK_EQ(o.size(), 1);
  CHECK(o.acked(11));
  CHECK_EQ(o.size(), 0);
}

TEST(outbox_resends_in_flight_messages_after_a_disconnect) {
  sv::Outbox o;
  for (uint32_t s = 1; s <= 3; ++s) o.push(reading(s));
  o.sent(o.nextToSend(), 1);
  o.sent(o.nextToSend(), 2);
  o.disconnected();
  CHECK_EQ(o.inFlight(), 0);
  CHECK_EQ(o.nextToSend()->seq, 1);  // oldest first, same seq: the gateway stores it once
  CHECK(!o.acked(1));                // a PUBACK from the old session means nothing now
}

TEST(outbox_full_drops_the_oldest_and_counts_it) {
  sv::Outbox o;
  for (uint32_t s = 0; s < sv::Outbox::kCapacity; ++s) CHECK(o.push(reading(s)));
  CHECK(!o.push(reading(1000)));
  CHECK_EQ(o.size(), sv::Outbox::kCapacity);
  CHECK_EQ(o.dropped(), 1);
  CHECK_EQ(o.nextToSend()->seq, 1);
}
