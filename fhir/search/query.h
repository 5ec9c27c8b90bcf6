#pragma once
// A parsed FHIR search (R4 §3.1.1 "Search"). Produced by ParseQuery (fhir/search/parse.h),
// executed by a Store. Plain data: no SQL, no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fhir::search {

enum class ParamType {
  kNumber,
  kDate,
  kString,
  kToken,
  kReference,
  kComposite,
  kQuantity,
  kUri,
  kSpecial
};

enum class Prefix { kEq, kNe, kGt, kLt, kGe, kLe, kSa, kEb, kAp };

enum class Modifier {
  kNone,
  kExact,       // string
  kContains,    // string, uri
  kMissing,     // any (value "true"/"false")
  kNot,         // token
  kText,        // token, reference (display/text)
  kType,        // reference  name:Patient=...  (Criterion::target_type holds the type)
  kIdentifier,  // reference  subject:identifier=system|value
  kBelow,       // uri
  kAbove,       // uri
};

// One value of a criterion, already split on ',' (OR) and unescaped (\, \| \$ \\).
struct SearchValue {
  Prefix prefix = Prefix::kEq;  // number, date, quantity
  std::string raw;              // the value without prefix
  // token: system|code split. `has_system` false means "no bar" (any system);
  // has_system && system.empty() means "|code" (no system).
  bool has_system = false;
  std::string system;
  std::string code;
  // quantity: number|system|code
  std::string number;
};

// One step of a chain: `subject:Patient.name=x` is chain [{subject, Patient}] + param "name".
struct ChainStep {
  std::string param;        // reference search parameter on the current type
  std::string target_type;  // resource type the reference must point to
};

// One name=value pair of the URL; its values are OR'ed. Criteria of a Query are AND'ed.
struct Criterion {
  std::vector<ChainStep> chain;  // empty unless chained
  std::string resource_type;  // the type `param` is defined on (last chain target, or Query::type)
  std::string param;          // search parameter code, e.g. "name", "_id", "_lastUpdated"
  ParamType type = ParamType::kString;
  Modifier modifier = Modifier::kNone;
  std::string target_type;  // for Modifier::kType
  std::vector<SearchValue> values;
};

struct SortKey {
  std::string param;  // e.g. "birthdate", "_lastUpdated", "_id"
  ParamType type = ParamType::kString;
  bool descending = false;
};

struct Include {
  std::string source_type;  // the type holding the reference ("*" allowed in source? no)
  std::string param;        // reference parameter, "*" = all reference params
  std::string target_type;  // optional restriction
  bool iterate = false;
};

// kAuto (no _total given): the exact total when it is cheap to count (the store decides a
// bound), else no total. _total=estimate is answered with the exact count.
enum class TotalMode { kAuto, kNone, kEstimate, kAccurate };
enum class SummaryMode { kNone, kTrue, kText, kData, kCount, kFalse };

struct Query {
  std::string type;                 // empty = system-level search (all types)
  std::vector<Criterion> criteria;  // AND
  std::vector<SortKey> sort;        // empty = _lastUpdated desc? no: stable order by seq
  int count = 50;                   // _count (page size), bounded by the parser
  int offset = 0;                   // position of the page (from our paging links)
  // Bound on the bytes of the page's bodies, matches and included (0: none). Set by the REST
  // layer from configuration, not by a search parameter.
  size_t max_page_bytes = 0;
  int64_t snapshot = 0;  // 0 = current; else evaluate as of this store seq
  TotalMode total = TotalMode::kAuto;
  SummaryMode summary = SummaryMode::kNone;
  std::vector<std::string> elements;  // _elements
  std::vector<Include> includes;      // _include
  std::vector<Include> revincludes;   // _revinclude

  // The search parameters as a canonical query string (without paging parameters), used to
  // build self/next/previous links. Filled by ParseQuery.
  std::string canonical;
};

}  // namespace fhir::search
