#pragma once
// A FhirPort that passes every call through to another and keeps, in order, the transaction
// Bundles posted (POST to the base): what an inbound message became, for `translate` and the
// golden tests.

#include <mutex>
#include <string>
#include <vector>

#include "adapters/api/fhir_port.h"

namespace adapters {

class TransactionRecorder final : public FhirPort {
 public:
  // `inner` must outlive the recorder.
  explicit TransactionRecorder(FhirPort& inner) : inner_(inner) {}

  FhirResponse Call(std::string_view method, std::string_view path_and_query, std::string_view body,
                    const std::vector<std::pair<std::string, std::string>>& headers) override {
    if (method == "POST" && path_and_query.empty()) {
      std::lock_guard lock(mu_);
      transactions_.emplace_back(body);
    }
    return inner_.Call(method, path_and_query, body, headers);
  }

  std::vector<std::string> transactions() const {
    std::lock_guard lock(mu_);
    return transactions_;
  }

 private:
  FhirPort& inner_;
  mutable std::mutex mu_;
  std::vector<std::string> transactions_;
};

}  // namespace adapters
