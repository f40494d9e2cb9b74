#include "contention.h"

#include <cstdlib>

namespace lesson {

void detail::Summarise(std::vector<double>& waits, ContentionStats* st) {
  std::sort(waits.begin(), waits.end());
  if (!waits.empty()) {
    st->g2_max_ms = waits.back();
    st->g2_p99_ms = waits[std::min(waits.size() - 1, waits.size() * 99 / 100)];
    st->g2_median_ms = waits[waits.size() / 2];
  }
  st->g2_over_1ms = waits.end() - std::upper_bound(waits.begin(), waits.end(), 1.0);
  st->per_sec = static_cast<double>(st->g1 + st->g2) / (static_cast<double>(st->span_ns) / 1e9);
}

Table ContentionTable() {
  return Table({{"lock", -22},
                {"g1 acq", 8},
                {"g2 acq", 8},
                {"g2 p50 ms", 10},
                {"g2 p99 ms", 10},
                {"g2 max ms", 10},
                {"acq/s", 10}});
}

void ContentionRow(const Table& t, const ContentionStats& s) {
  t.Row({s.lock, Format("%lld", static_cast<long long>(s.g1)),
         Format("%lld", static_cast<long long>(s.g2)), Format("%.2f", s.g2_median_ms),
         Format("%.2f", s.g2_p99_ms), Format("%.2f", s.g2_max_ms), Format("%.0f", s.per_sec)});
}

void Timeline(const ContentionStats& st, int64_t from_ns, int64_t to_ns, int cols,
              const char* label) {
  std::string g1(cols, '.'), g2(cols, '.'), mode(cols, '-');
  const double w = static_cast<double>(to_ns - from_ns) / cols;
  std::vector<double> busy(cols, 0);
  bool any_starving = false;
  for (const Hold& h : st.g1_holds) {
    for (int64_t a = std::max(h.acq, from_ns); a < std::min(h.rel, to_ns);) {
      int c = static_cast<int>((a - from_ns) / w);
      int64_t col_end = from_ns + static_cast<int64_t>((c + 1) * w);
      int64_t b = std::min({h.rel, to_ns, col_end});
      busy[c] += static_cast<double>(b - a);
      a = std::max(b, a + 1);
    }
    if (h.starving && h.acq >= from_ns && h.acq < to_ns) {
      mode[static_cast<int>((h.acq - from_ns) / w)] = 'S';
      any_starving = true;
    }
  }
  for (int c = 0; c < cols; ++c) {
    if (busy[c] > w / 2) g1[c] = '1';
  }
  for (const Hold& h : st.g2_holds) {
    if (h.acq < from_ns || h.acq >= to_ns) continue;
    int c = static_cast<int>((h.acq - from_ns) / w);
    g2[c] = '2';
    if (h.starving) {
      mode[c] = 'S';
      any_starving = true;
    }
  }
  Say("%s, %.2f ms per column:", label, w / 1e6);
  Line("    g1 held |%s|  (1: goroutine 1 held the lock most of the slice)", g1.c_str());
  Line("    g2 got  |%s|  (2: goroutine 2 got the lock at least once)", g2.c_str());
  if (any_starving) Line("    mode    |%s|  (S: starvation mode seen)", mode.c_str());
}

double LoadAverage() {
  double load[1] = {0};
  return getloadavg(load, 1) == 1 ? load[0] : 0;
}

}  // namespace lesson
