#pragma once
// Norwegian national identity numbers: fødselsnummer (FNR), D-nummer (DNR) and H-nummer
// (HNR), all 11 digits DDMMYYIIIKK with two mod-11 check digits.
//  * D-nummer: the first digit + 4 (day 41-71).
//  * H-nummer (local help number): the third digit + 4 (month 41-52).
//  * Synthetic test numbers (Skatteetaten's test population, "Tenor"): the month + 80
//    (81-92); they are accepted with `synthetic` set, so production can refuse them by policy.
// Used by every adapter that receives an identity (EHR messages, BankID/ID-porten, HelseID).

#include <optional>
#include <string_view>

namespace common {

enum class NorwegianIdKind { kFodselsnummer, kDNummer, kHNummer };

struct NorwegianId {
  NorwegianIdKind kind;
  bool synthetic = false;  // month + 80 (a test number)
};

// The kind of `number` when it is 11 digits with a valid date part and valid check digits;
// nullopt otherwise (the reason is never needed beyond "invalid": callers must not echo it).
std::optional<NorwegianId> ParseNorwegianId(std::string_view number);

// The two check digits for the first nine digits, or nullopt when no valid number exists for
// them (a remainder of 1). For generating synthetic test data.
std::optional<std::pair<int, int>> NorwegianIdCheckDigits(std::string_view first_nine);

}  // namespace common
