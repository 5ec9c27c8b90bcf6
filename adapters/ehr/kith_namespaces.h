#pragma once
// XML namespaces of the KITH/Hdir message standards (structure, not code lists: code lists are
// data in mappings/terminology).

#include <initializer_list>
#include <string_view>

namespace adapters::ehr::ns {

inline constexpr std::string_view kMsgHead = "http://www.kith.no/xmlstds/msghead/2006-05-24";
inline constexpr std::string_view kHenvisning10 =
    "http://www.kith.no/xmlstds/henvisning/2005-07-08";
inline constexpr std::string_view kHenvisning11 =
    "http://www.kith.no/xmlstds/henvisning/2012-02-15";
inline constexpr std::string_view kHenvisning20 = "http://ehelse.no/xmlstds/henvisning/2017-11-30";
// The earlier v2.0 namespace still seen in older display files.
inline constexpr std::string_view kHenvisning20Old =
    "http://www.kith.no/xmlstds/henvisning/2014-04-30";
inline constexpr std::string_view kDialog10 = "http://www.kith.no/xmlstds/dialog/2006-10-11";
inline constexpr std::string_view kDialog11 = "http://www.kith.no/xmlstds/dialog/2013-01-23";
inline constexpr std::string_view kAppRec10 = "http://www.kith.no/xmlstds/apprec/2004-11-21";
inline constexpr std::string_view kAppRec11 = "http://www.kith.no/xmlstds/apprec/2012-02-15";
inline constexpr std::string_view kBase64 = "http://www.kith.no/xmlstds/base64container";
inline constexpr std::string_view kFelles1 = "http://www.kith.no/xmlstds/felleskomponent1";
inline constexpr std::string_view kKith = "http://www.kith.no/xmlstds";
inline constexpr std::string_view kXsi = "http://www.w3.org/2001/XMLSchema-instance";
inline constexpr std::string_view kXmlDsig = "http://www.w3.org/2000/09/xmldsig#";

// The namespaces the compiled schema set (kith-all.xsd) declares: a document in any other
// namespace inside RefDoc/Content cannot be validated here (quirks.h, foreign-document).
inline bool HasSchema(std::string_view ns) {
  for (std::string_view known :
       {kMsgHead, kDialog10, kDialog11, kAppRec10, kAppRec11, kHenvisning20, kHenvisning20Old,
        kBase64, kFelles1, kKith, kXmlDsig}) {
    if (ns == known) return true;
  }
  return false;
}

// The MIGversion texts the standards fix.
inline constexpr std::string_view kMsgHeadMig = "v1.2 2006-05-24";
inline constexpr std::string_view kAppRec10Mig = "1.0 2004-11-21";
inline constexpr std::string_view kAppRec11Mig = "v1.1 2012-02-15";
inline constexpr std::string_view kDialog11Mig = "v1.1 2013-01-23";

}  // namespace adapters::ehr::ns
