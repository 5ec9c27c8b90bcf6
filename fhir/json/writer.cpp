#include "fhir/json/writer.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <array>

namespace fhir::json {
namespace {

// What a character becomes after a backslash: the same choices as RapidJSON's writer (so
// compact and pretty output agree): \" \\ \b \t \n \f \r, \u00XX for other control
// characters, everything else (UTF-8 included) as it is.
constexpr std::array<char, 256> MakeEscapes() {
  std::array<char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<size_t>(c)] = 'u';
  t['\b'] = 'b';
  t['\t'] = 't';
  t['\n'] = 'n';
  t['\f'] = 'f';
  t['\r'] = 'r';
  t['"'] = '"';
  t['\\'] = '\\';
  return t;
}
constexpr std::array<char, 256> kEscapes = MakeEscapes();

// Appends `s` quoted, copying runs that need no escape in one piece: most strings (ids,
// codes, base64 attachments) have none.
void AppendString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.push_back('"');
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const char e = kEscapes[c];
    if (e == 0) continue;
    out.append(s.data() + start, i - start);
    out.push_back('\\');
    out.push_back(e);
    if (e == 'u') {
      out.append("00");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
    start = i + 1;
  }
  out.append(s.data() + start, s.size() - start);
  out.push_back('"');
}

void Append(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Kind::kNull:
      out.append("null");
      break;
    case Kind::kBool:
      out.append(v.boolean() ? "true" : "false");
      break;
    case Kind::kNumber:
      out.append(v.text());
      break;
    case Kind::kString:
      AppendString(out, v.text());
      break;
    case Kind::kArray: {
      out.push_back('[');
      bool first = true;
      for (const Value& item : v.items()) {
        if (!first) out.push_back(',');
        first = false;
        Append(out, item);
      }
      out.push_back(']');
      break;
    }
    case Kind::kObject: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, member] : v.members()) {
        if (!first) out.push_back(',');
        first = false;
        AppendString(out, key);
        out.push_back(':');
        Append(out, member);
      }
      out.push_back('}');
      break;
    }
  }
}

template <typename Writer>
void Emit(const Value& v, Writer& w) {
  switch (v.kind()) {
    case Kind::kNull:
      w.Null();
      break;
    case Kind::kBool:
      w.Bool(v.boolean());
      break;
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
  std::string out;
  out.reserve(1024);
  Append(out, value);
  return out;
}

std::string WritePretty(const Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  Emit(value, writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace fhir::json
