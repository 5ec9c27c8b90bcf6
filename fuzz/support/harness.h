#pragma once
// Shared by the fuzz targets (fuzz/*.cpp): the property check that turns a broken invariant
// into a crash libFuzzer (and the replay test) reports, and a real SQLite store whose writes
// are undone, so that every input meets the same state and a finding replays exactly.
//
// The targets call only the public APIs the gateway itself calls, so they keep working when
// the code under test changes behind them. Stand outside the layering (cmake/layers.txt), as
// tests/ do.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "fhir/store/store.h"

// A property of the code under test that must hold for every input. Failing aborts with the
// condition and the place, so libFuzzer saves the input and the replay test fails.
#define EMG_FUZZ_CHECK(cond, what)                                      \
  do {                                                                  \
    if (!(cond)) ::emg_fuzz::Violated(#cond, what, __FILE__, __LINE__); \
  } while (0)

namespace emg_fuzz {

[[noreturn]] void Violated(const char* condition, std::string_view what, const char* file,
                           int line);

// With EMG_FUZZ_VERBOSE=1 in the environment, Note() prints what a target made of an input
// (accepted, refused and why): for checking that the seeds reach what they are meant to reach,
// and for reading a crash's input. Silent otherwise.
bool Verbose();
void Note(std::string_view what);

// Quiets the structured log (only errors are written), so a run is not drowned in access lines.
void QuietLogs();

// The repository root (compiled in), for the code lists and the XSDs the targets load.
std::string SourceDir();

// A temporary directory, removed with its content at normal process exit.
std::string MakeTempDir(std::string_view name);

// The gateway's SQLite store, non-durable, in a temporary directory; nullptr (with a message on
// stderr) when it cannot be opened.
std::unique_ptr<fhir::store::Store> OpenTempStore(
    std::string_view name, std::vector<fhir::store::UniqueIdentifier> unique_identifiers = {});

// Synthetic resources (Patient, Practitioner, Organization, Encounter, Observation, Condition,
// ServiceRequest, Task, Questionnaire...) that reference each other, committed to `store` so
// that searches, chains, includes and conditional operations have something to find.
common::Status SeedResources(fhir::store::Store& store);

// Forwards every read to `inner`; runs every unit of work for real (reads, writes, index and
// unique-identifier checks) and then rolls it back, returning what the unit returned. The
// store's content never changes, so the outcome of an input does not depend on the inputs
// before it.
class RollbackStore final : public fhir::store::Store {
 public:
  explicit RollbackStore(fhir::store::Store& inner) : inner_(inner) {}

  common::Status Commit(fhir::store::UnitOfWork work) override;
  common::StatusOr<fhir::store::ResourceVersion> Read(const std::string& type,
                                                      const std::string& id) override {
    return inner_.Read(type, id);
  }
  common::StatusOr<fhir::store::ResourceVersion> VRead(const std::string& type,
                                                       const std::string& id,
                                                       int64_t version) override {
    return inner_.VRead(type, id, version);
  }
  common::StatusOr<fhir::store::HistoryPage> History(
      const fhir::store::HistoryQuery& query) override {
    return inner_.History(query);
  }
  common::StatusOr<fhir::store::SearchResult> Search(const fhir::search::Query& query) override {
    return inner_.Search(query);
  }
  void SetCommitObserver(CommitObserver observer) override {
    inner_.SetCommitObserver(std::move(observer));
  }
  int64_t LastSeq() override { return inner_.LastSeq(); }
  bool Ready() override { return inner_.Ready(); }
  void Close() override { inner_.Close(); }

 private:
  fhir::store::Store& inner_;
};

// Splits fuzz input into parts at a separator line, for targets that take several strings.
std::vector<std::string_view> SplitParts(std::string_view data, std::string_view separator,
                                         size_t max_parts);

}  // namespace emg_fuzz
