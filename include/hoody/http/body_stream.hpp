// hoody/http/body_stream.hpp — a response body produced over time (GET /kv/watch as SSE,
// GET /export).
//
// A handler that streams returns a `response` whose `stream` is set. The HTTP session then
// writes the status line and headers at once (no Content-Length; `Connection: close` delimits
// the body), and afterwards whatever `pull` hands it, one write at a time, until `pull` says
// the stream ended or the client goes away. The stream never blocks the session: it buffers
// what it has to say (bounded by its producer) and calls `wake` when there is more.
// Thread-safety: `start`, `pull` and `cancel` are called by the session's thread; `wake` may be
// called from any thread, any number of times, also after `cancel` (the session ignores it).
#pragma once

#include <functional>
#include <string>

namespace hoody::http {

struct response;

class body_stream {
 public:
  body_stream() = default;
  body_stream(const body_stream&) = delete;
  body_stream& operator=(const body_stream&) = delete;
  virtual ~body_stream() = default;

  /// Called once, after the head is written: from now on `wake` tells the session to `pull`.
  virtual void start(std::function<void()> wake) = 0;

  struct chunk {
    std::string bytes;    ///< to write next (may be empty)
    bool last = false;    ///< the stream ended: the session closes after writing `bytes`
    bool failed = false;  ///< the stream broke: the session resets the connection (no clean
                          ///< end: a client reading to EOF sees an error, not a short body)
  };
  /// Takes what is pending.
  virtual chunk pull() = 0;

  /// The client is gone or the server closes the connection: release the producer's state.
  virtual void cancel() noexcept = 0;
};

/// A handler's answer that comes later (a long poll): the dispatcher calls it once with the
/// request's completion, which it must call exactly once, from any thread.
using deferred_response = std::function<void(std::function<void(response)>)>;

}  // namespace hoody::http
