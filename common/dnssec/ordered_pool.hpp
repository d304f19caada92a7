// Runs numbered work on worker threads in chunks while the calling thread consumes the results
// in order (e.g. reports the signer's progress, or hands finished work on as it completes).
// One call is one pool; nothing is shared between calls.
#pragma once

#include <cstddef>
#include <functional>

namespace flatsign::dnssec::detail {

// Per-thread work: does items [begin, end). Made once per worker (it may own per-thread state,
// e.g. a Signer) and called from that worker only.
using ChunkWork = std::function<void(size_t begin, size_t end)>;

// Splits [0, n) into chunks of `chunk` items that `threads` workers (at least one) take in
// ascending order, each worker calling its own make_work() result. Meanwhile the calling thread
// calls consume(ready) each time the finished prefix [0, ready) grows, from the same thread, in
// ascending `ready`, the last call with ready == n; what consume reads below `ready` is finished
// and visible to it. Returns after every worker stopped. The first exception thrown by
// make_work, a worker or consume stops the pool and is rethrown here. With one thread or one
// chunk, everything runs on the calling thread (no thread is started).
void run_ordered(size_t n, size_t chunk, unsigned threads,
                 const std::function<ChunkWork()>& make_work,
                 const std::function<void(size_t ready)>& consume);

}  // namespace flatsign::dnssec::detail
