// The composition root (gateway/app/application.h): built from a config in order, listening on
// a real socket, stopping at the first part that fails, and closing the store when destroyed.

#include "gateway/app/application.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace gateway::app {
namespace {

namespace fs = std::filesystem;

class ApplicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("emg-app-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    config_.server.host = "127.0.0.1";
    config_.server.port = 0;
    config_.server.base_url = "http://127.0.0.1";
    config_.store.data_dir = (dir_ / "data").string();
    config_.store.durable = false;
    config_.terminology.dir = std::string(EMG_SOURCE_DIR) + "/mappings/terminology";
    config_.auth.compartment_file =
        std::string(EMG_SOURCE_DIR) + "/mappings/access/patient-compartment.json";
    config_.auth.mode = "off";
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  config::Config config_;
};

TEST_F(ApplicationTest, BuildsListensAndClosesTheStoreWhenDestroyed) {
  auto built = Application::Build(config_);
  ASSERT_TRUE(built.has_value()) << built.error().message();
  std::unique_ptr<Application> app = std::move(*built);
  EXPECT_NE(app->server().port(), 0);
  EXPECT_TRUE(fs::exists(dir_ / "data" / "gateway.db"));
  app->StartBackgroundWork();
  app.reset();
  // The last connection closed: SQLite has folded the write-ahead log back and removed it.
  EXPECT_FALSE(fs::exists(dir_ / "data" / "gateway.db-wal"));

  // The same data directory serves the next start (the seeds rerun without growing history).
  auto again = Application::Build(config_);
  ASSERT_TRUE(again.has_value()) << again.error().message();
}

TEST_F(ApplicationTest, StopsAtTheFirstPartThatFails) {
  config_.terminology.dir = (dir_ / "no-such-directory").string();
  auto built = Application::Build(config_);
  ASSERT_FALSE(built.has_value());
  // The store was opened before the terminology failed, and closed again on the way out.
  EXPECT_TRUE(fs::exists(dir_ / "data" / "gateway.db"));
  EXPECT_FALSE(fs::exists(dir_ / "data" / "gateway.db-wal"));
}

TEST_F(ApplicationTest, ADataDirectoryThatCannotBeMadeIsAConfigError) {
  fs::create_directories(dir_);
  std::FILE* f = std::fopen((dir_ / "file").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  config_.store.data_dir = (dir_ / "file" / "data").string();
  auto built = Application::Build(config_);
  ASSERT_FALSE(built.has_value());
  EXPECT_NE(built.error().message().find("store.data_dir"), std::string::npos)
      << built.error().message();
}

}  // namespace
}  // namespace gateway::app
