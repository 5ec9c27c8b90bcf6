#pragma once
// The gateway wired from its configuration: the composition root's one object.
//
// Build() makes the parts in dependency order and stops at the first that fails, logging why:
//   data directory -> SQLite store -> terminology (load, validate) -> EHR schemas and write
//   triggers (when ehr.her_id is set) -> FHIR API -> terminology seed -> demo seed -> identity
//   and access (policy, sessions, login routes, the authenticated and audited FHIR API) -> EHR
//   inbox, outbox and push -> router -> HTTP server (listening).
// StartBackgroundWork() starts what runs beside the requests (the EHR outbox push). The
// destructor shuts down in the reverse order: the server drains its requests, background work
// stops, then the store closes (every acknowledged write is durable before that).
//
// A new adapter is wired here: its parts as members, built in one Build step, and its HTTP face
// as one route in the router.

#include <memory>

#include "common/status.h"
#include "gateway/config/config.h"
#include "gateway/http/server.h"

namespace gateway::app {

class Application {
 public:
  // The running application, or why a part could not be built (also logged under the step's
  // event, e.g. store_open_failed, or printed as a config error for the data directory).
  static common::StatusOr<std::unique_ptr<Application>> Build(const config::Config& config);

  ~Application();
  Application(const Application&) = delete;
  Application& operator=(const Application&) = delete;

  void StartBackgroundWork();
  const http::Server& server() const;

 private:
  struct Parts;
  explicit Application(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

// The server's settings from the config (thread counts default to the number of cores).
http::ServerOptions ToServerOptions(const config::ServerConfig& s);

}  // namespace gateway::app
