// print_zone_pieces: worker threads print consecutive runs of blocks into their own strings; the
// calling thread hands the finished pieces to the writer in order, so writing overlaps printing.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "common/zone/zonefile.hpp"

namespace flatsign::zone {
namespace {

// About 2 MB of text a piece: small enough that the writer starts early and the workers share the
// load evenly, large enough that the handing over costs nothing.
constexpr size_t kPieceRrs = 16384;
constexpr size_t kOctetsPerRr = 96;  // a first guess for reserve(); RRSIG lines run ~200

// Node indices where pieces start, plus nodes().size() at the end; pieces are whole blocks.
std::vector<size_t> piece_bounds(const Zone& zone) {
  std::vector<size_t> bounds{0};
  size_t rrs = 0;
  for (size_t b = 0; b < zone.block_count(); ++b) {
    rrs += zone.block_summary(b).rrs;
    if (rrs >= kPieceRrs) {
      bounds.push_back(zone.block_first(b) + zone.block_size(b));
      rrs = 0;
    }
  }
  if (bounds.back() != zone.nodes().size()) bounds.push_back(zone.nodes().size());
  return bounds;
}

}  // namespace

void print_zone_pieces(const Zone& zone, unsigned threads,
                       const std::function<void(std::string_view piece)>& write) {
  const std::vector<size_t> bounds = piece_bounds(zone);
  const size_t pieces = bounds.size() - 1;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, pieces));
  if (threads <= 1) {
    std::string text;
    for (size_t p = 0; p < pieces; ++p) {
      text.clear();
      print_nodes(zone, bounds[p], bounds[p + 1], text);
      write(text);
    }
    return;
  }
  std::vector<std::string> text(pieces);
  std::vector<bool> done(pieces, false);  // under mu
  bool stop = false;                      // under mu
  std::exception_ptr error;               // under mu
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    try {
      for (size_t p; (p = next.fetch_add(1, std::memory_order_relaxed)) < pieces;) {
        {
          std::lock_guard lock(mu);
          if (stop) return;
        }
        std::string s;
        s.reserve(kOctetsPerRr * kPieceRrs);
        print_nodes(zone, bounds[p], bounds[p + 1], s);
        std::lock_guard lock(mu);
        text[p] = std::move(s);
        done[p] = true;
        cv.notify_all();
      }
    } catch (...) {
      std::lock_guard lock(mu);
      if (!error) error = std::current_exception();
      stop = true;
      cv.notify_all();
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
  try {
    for (size_t p = 0; p < pieces; ++p) {
      std::string piece;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stop || done[p]; });
        if (stop) break;
        piece = std::move(text[p]);
      }
      write(piece);
    }
  } catch (...) {
    std::lock_guard lock(mu);
    if (!error) error = std::current_exception();
    stop = true;
  }
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace flatsign::zone
