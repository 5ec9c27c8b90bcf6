#include "fhir/json/writer.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace fhir::json {
namespace {

template <typename Writer>
void Emit(const Value& v, Writer& w) {
  switch (v.kind()) {
    case Kind::kNull: w.Null(); break;
    case Kind::kBool: w.Bool(v.boolean()); break;
    case Kind::kNumber:
      w.RawValue(v.text().data(), v.text().size(), rapidjson::kNumberType);
      break;
    case Kind::kString:
      w.String(v.text().data(), static_cast<rapidjson::SizeType>(v.text().size()));
      break;
    case Kind::kArray:
      w.StartArray();
      for (const Value& item : v.items()) Emit(item, w);
      w.EndArray();
      break;
    case Kind::kObject:
      w.StartObject();
      for (const auto& [key, member] : v.members()) {
        w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
        Emit(member, w);
      }
      w.EndObject();
      break;
  }
}

}  // namespace

std::string Write(const Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  Emit(value, writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string WritePretty(const Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  Emit(value, writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace fhir::json
