// Every statistics part saves its state and restores it exactly: a restored
// part continues bit-identically to the original, and every truncation of
// its encoding is refused with DataLoss.
#include <cstring>
#include <random>
#include <string>

#include "detector/ip_address.h"
#include "detector/stats/entity_table.h"
#include "detector/stats/online_covariance.h"
#include "detector/stats/quantile_sketch.h"
#include "detector/stats/regularity.h"
#include "detector/stats/running_moments.h"
#include "detector/stats/state_codec.h"
#include "detector/stats/windowed_distinct.h"
#include "detector/stats/windowed_sum.h"
#include "gtest/gtest.h"
#include "proto/snapshot.pb.h"

namespace vigie {
namespace {

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  return x ^ (x >> 31);
}

bool SameBits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

// Encodes `part`, checks that every strict prefix fails to decode, and
// returns the decoded copy.
template <typename T>
T RoundTrip(const T& part) {
  StateWriter w;
  part.Encode(w);
  const std::string& bytes = w.data();
  for (size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 50) {
    StateReader truncated(absl::string_view(bytes).substr(0, cut));
    EXPECT_EQ(T::Decode(truncated).status().code(), absl::StatusCode::kDataLoss)
        << "prefix of " << cut << " bytes";
  }
  std::string wrong_version = bytes;
  wrong_version[0] = 99;
  StateReader bad(wrong_version);
  EXPECT_EQ(T::Decode(bad).status().code(), absl::StatusCode::kDataLoss);
  StateReader r(bytes);
  absl::StatusOr<T> back = T::Decode(r);
  EXPECT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(r.at_end());
  return std::move(back).value();
}

TEST(Snapshot, WindowedSumContinuesIdentically) {
  WindowSpec spec;
  WindowedSum<uint32_t> a;
  for (int i = 0; i < 500; ++i) a.Add(spec, i * 7919, 1 + i % 3);
  WindowedSum<uint32_t> b = RoundTrip(a);
  for (int i = 500; i < 1000; ++i) {
    EXPECT_EQ(a.Add(spec, i * 7919, 2), b.Add(spec, i * 7919, 2));
    for (int h = 0; h < 4; ++h) {
      ASSERT_EQ(a.Sum(spec, h, i * 7919), b.Sum(spec, h, i * 7919));
    }
  }
}

TEST(Snapshot, WindowedDistinctContinuesIdenticallyInBothModes) {
  WindowSpec spec;
  for (int limit : {1 << 20, 200}) {
    WindowedDistinct::Options options;
    options.exact_limit = limit;
    options.precision = 8;
    WindowedDistinct a;
    for (int i = 0; i < 2000; ++i) a.Add(spec, options, i * 1000, Mix(i % 700));
    EXPECT_EQ(a.exact(), limit > 1000);
    WindowedDistinct b = RoundTrip(a);
    for (int i = 2000; i < 4000; ++i) {
      a.Add(spec, options, i * 1000, Mix(i % 900));
      b.Add(spec, options, i * 1000, Mix(i % 900));
      if (i % 50 == 0) {
        for (int h = 0; h < 4; ++h) {
          ASSERT_TRUE(SameBits(a.Count(spec, h, i * 1000),
                               b.Count(spec, h, i * 1000)));
        }
      }
    }
  }
}

TEST(Snapshot, BaselinesContinueIdentically) {
  std::mt19937_64 random(5);
  std::lognormal_distribution<double> dist(2, 1);
  RunningMoments m;
  Ewma e;
  QuantileSketch q;
  GapRegularity g;
  HourProfile p;
  OnlineCovariance c(3);
  auto feed = [&](auto& m, auto& e, auto& q, auto& g, auto& p, auto& c,
                  double x, int64_t t) {
    m.Update(x);
    e.Update(x, false, 0.1);
    q.Add(x);
    g.Observe(t);
    p.Observe(t);
    const double v[3] = {x, x * x, t % 1000 / 1000.0};
    c.Update(v);
  };
  int64_t t = 0;
  for (int i = 0; i < 1000; ++i) {
    t += 1000 + random() % 5000000;
    feed(m, e, q, g, p, c, dist(random), t);
  }
  RunningMoments m2 = RoundTrip(m);
  Ewma e2 = RoundTrip(e);
  QuantileSketch q2 = RoundTrip(q);
  GapRegularity g2 = RoundTrip(g);
  HourProfile p2 = RoundTrip(p);
  OnlineCovariance c2 = RoundTrip(c);
  for (int i = 0; i < 1000; ++i) {
    t += 1000 + random() % 5000000;
    const double x = dist(random);
    feed(m, e, q, g, p, c, x, t);
    feed(m2, e2, q2, g2, p2, c2, x, t);
    ASSERT_TRUE(SameBits(m.variance(), m2.variance()));
    ASSERT_TRUE(SameBits(e.mean(), e2.mean()));
    ASSERT_TRUE(SameBits(q.Quantile(0.9), q2.Quantile(0.9)));
    ASSERT_TRUE(SameBits(*g.CoefficientOfVariation(), *g2.CoefficientOfVariation()));
    ASSERT_TRUE(SameBits(p.Surprise(i % 24), p2.Surprise(i % 24)));
    const double v[3] = {x, 1, 0.5};
    ASSERT_TRUE(SameBits(*c.Distance(v), *c2.Distance(v)));
  }
}

TEST(Snapshot, EntityTableRestoresEntitiesAndRecencyIntoASection) {
  EntityTableOptions options;
  options.max_bytes = 1 << 16;
  using Table = EntityTable<IpAddress, WindowedSum<uint32_t>>;
  Table a = Table::Create(options).value();
  WindowSpec spec;
  for (uint32_t i = 0; i < 3 * a.capacity(); ++i) {
    a.FindOrCreate(IpAddress::FromV4(i % (a.capacity() + 7)), i)
        .Add(spec, i, 1);
  }
  StateWriter w;
  a.Encode(w, [](StateWriter& w, const IpAddress& ip,
                 const WindowedSum<uint32_t>& sum) {
    w.Put(ip.hi());
    w.Put(ip.lo());
    sum.Encode(w);
  });
  // Through the Snapshot proto, as the detector stores it.
  v1::Snapshot snapshot;
  snapshot.set_format_version(1);
  v1::Section* section = snapshot.add_sections();
  section->set_name("ips");
  section->set_data(w.data());
  v1::Snapshot parsed;
  ASSERT_TRUE(parsed.ParseFromString(snapshot.SerializeAsString()));
  Table b = Table::Create(options).value();
  StateReader r(parsed.sections(0).data());
  ASSERT_TRUE(b.Restore(r, [](StateReader& r, IpAddress* ip,
                              WindowedSum<uint32_t>* sum) {
                  const uint64_t hi = r.Get<uint64_t>();
                  const uint64_t lo = r.Get<uint64_t>();
                  *ip = IpAddress::FromHalves(hi, lo);
                  absl::StatusOr<WindowedSum<uint32_t>> s =
                      WindowedSum<uint32_t>::Decode(r);
                  if (!s.ok()) return false;
                  *sum = *s;
                  return true;
                })
                  .ok());
  EXPECT_EQ(b.size(), a.size());
  EXPECT_EQ(b.evictions(), a.evictions());
  // Same recency order and the same states.
  std::vector<uint64_t> order_a, order_b;
  a.ForEach([&](const IpAddress& ip, const WindowedSum<uint32_t>& s, int64_t) {
    order_a.push_back(ip.lo() * 1000003 + s.Sum(spec, 3, 1 << 30));
  });
  b.ForEach([&](const IpAddress& ip, const WindowedSum<uint32_t>& s, int64_t) {
    order_b.push_back(ip.lo() * 1000003 + s.Sum(spec, 3, 1 << 30));
  });
  EXPECT_EQ(order_a, order_b);
  // A damaged section is refused.
  std::string damaged = parsed.sections(0).data().substr(0, 100);
  StateReader bad(damaged);
  Table c = Table::Create(options).value();
  EXPECT_EQ(c.Restore(bad, [](StateReader& r, IpAddress* ip,
                              WindowedSum<uint32_t>* sum) {
              r.Get<uint64_t>();
              r.Get<uint64_t>();
              return WindowedSum<uint32_t>::Decode(r).ok();
            }).code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace vigie
