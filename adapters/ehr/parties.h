#pragma once
// The parts of KITH messages that every kind shares, read into one shape whatever the
// message's version: coded values, identifiers, persons, health personnel, organisations.

#include <string>
#include <vector>

namespace adapters::ehr {

// A KITH CS/CV value: V (code), S (code system OID, CV only), DN (display), OT (original text).
struct KithCode {
  std::string v;
  std::string s;
  std::string dn;
  std::string ot;
  bool empty() const { return v.empty() && dn.empty() && ot.empty(); }
};

// An identifier with its type (kodeverk 8116 for persons, 9051 for organisations; messages
// mix them up, see docs/kith-messaging.md § Identifier types: the type code V is what counts).
struct Ident {
  std::string id;
  KithCode type;
};

struct Address {
  KithCode type;  // kodeverk 3401
  std::string street;
  std::string postal_code;
  std::string city;
  std::string country;
};

struct Person {
  std::string family;
  std::string middle;
  std::string given;
  std::string full_name;  // when the message has one name string only (Henvisning 1.x)
  std::string date_of_birth;
  KithCode sex;  // kodeverk 3101
  std::vector<Ident> idents;
  std::vector<Address> addresses;
  std::vector<std::string> telecoms;  // tel:/mailto: URLs
};

struct Professional {
  KithCode type;  // kodeverk 9060 (LE lege, PS psykolog, ...)
  KithCode role;  // kodeverk 9034 (role to the patient)
  Person person;
};

struct Organisation {
  std::string name;
  std::vector<Ident> idents;
  std::vector<Address> addresses;
  std::vector<Organisation> units;          // the nested sub-unit (department), 0 or 1
  std::vector<Professional> professionals;  // 0 or 1 in MsgHead
};

// The first identifier whose type code is `type` (e.g. "HER", "FNR"), or empty.
std::string IdentOfType(const std::vector<Ident>& idents, std::string_view type);

}  // namespace adapters::ehr
