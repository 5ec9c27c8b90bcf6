#pragma once
// Copies the write-ahead log back into the database file on its own thread and connection.
// SQLite's automatic checkpoint runs inside the COMMIT that crosses its threshold, so every
// write queued behind that commit waited for the copy and the database fsync; here the writer
// only reports the WAL's size after each commit, and a PASSIVE checkpoint (which never blocks
// readers or the writer) runs beside it. The WAL restarts from its beginning once a checkpoint
// has caught up and a new write begins.

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "store/sqlite/connection.h"

namespace store::sqlite {

class Checkpointer {
 public:
  // Opens its connection on `path` and starts the thread. A checkpoint starts once the WAL
  // holds `threshold_frames` frames (pages).
  static common::StatusOr<std::unique_ptr<Checkpointer>> Start(const std::string& path,
                                                               bool durable, int busy_timeout_ms,
                                                               int threshold_frames);
  ~Checkpointer();  // Stop()
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // From the writer, after a commit: the WAL now holds `frames` frames. Cheap; never blocks on
  // a running checkpoint.
  void Committed(int frames);
  // Stops the thread (a running checkpoint finishes first) and closes the connection.
  void Stop();
  // Checkpoints run so far (for tests and metrics).
  int64_t runs() const;

 private:
  Checkpointer(std::unique_ptr<Connection> db, int threshold_frames);
  void Loop();

  std::unique_ptr<Connection> db_;
  const int threshold_frames_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stopping_ = false;
  int64_t runs_ = 0;
  std::thread thread_;
};

}  // namespace store::sqlite
