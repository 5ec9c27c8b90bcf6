#include "store/sqlite/checkpointer.h"

#include "common/log.h"

namespace store::sqlite {

common::StatusOr<std::unique_ptr<Checkpointer>> Checkpointer::Start(const std::string& path,
                                                                    bool durable,
                                                                    int busy_timeout_ms,
                                                                    int threshold_frames) {
  ASSIGN_OR_RETURN(auto db, Connection::Open(path, /*read_only=*/false, busy_timeout_ms));
  // The checkpoint fsyncs the WAL before copying and the database after, as the writer's own
  // automatic checkpoint would.
  RETURN_IF_ERROR(db->Exec(durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF"));
  std::unique_ptr<Checkpointer> c(new Checkpointer(std::move(db), threshold_frames));
  c->thread_ = std::thread([raw = c.get()] { raw->Loop(); });
  return c;
}

Checkpointer::Checkpointer(std::unique_ptr<Connection> db, int threshold_frames)
    : db_(std::move(db)), threshold_frames_(threshold_frames) {}

Checkpointer::~Checkpointer() { Stop(); }

void Checkpointer::Committed(int frames) {
  if (frames < threshold_frames_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    wanted_ = true;
  }
  cv_.notify_one();
}

void Checkpointer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  db_.reset();
}

int64_t Checkpointer::runs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return runs_;
}

void Checkpointer::Loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || wanted_; });
      if (stopping_) return;
      wanted_ = false;
    }
    int log_frames = 0;
    int copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(db_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                       &log_frames, &copied);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      common::log::Warn("store_checkpoint_failed", {{"code", rc}});
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++runs_;
  }
}

}  // namespace store::sqlite
