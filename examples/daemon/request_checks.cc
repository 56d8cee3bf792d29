#include "examples/daemon/request_checks.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace basis::daemon {

bool is_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;  // a continuation byte, or 0xf8..0xff
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3f);
    }
    static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

std::string printable(std::string_view text, size_t max_bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == max_bytes) {
      out += "...";
      break;
    }
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

const std::vector<Route>& api_routes() {
  static const std::vector<Route> routes = {
      {"/v1/batch", {"POST"}, {"dry_run"}},
      {"/v1/digest", {"GET", "HEAD"}, {}},
      {"/v1/lookup/{}", {"GET", "HEAD"}, {"proof", "checkpoint"}},
      {"/v1/checkpoints", {"GET", "HEAD", "POST"}, {}},
      {"/v1/checkpoints/{}/pin", {"POST", "DELETE"}, {}},
      {"/v1/admin/compact", {"POST"}, {}},
      {"/v1/oplog", {"GET", "HEAD"}, {"from", "limit"}},
      {"/v1/trees", {"GET", "HEAD", "POST"}, {}},
      {"/v1/trees/{}", {"DELETE"}, {}},
      {"/v1/trees/{}/batch", {"POST"}, {"dry_run"}},
      {"/v1/trees/{}/digest", {"GET", "HEAD"}, {}},
      {"/v1/trees/{}/lookup/{}", {"GET", "HEAD"}, {"proof", "checkpoint"}},
      {"/v1/trees/{}/oplog", {"GET", "HEAD"}, {"from", "limit"}},
      {"/v1/trees/{}/checkpoints", {"GET", "HEAD", "POST"}, {}},
      {"/v1/trees/{}/checkpoints/{}/pin", {"POST", "DELETE"}, {}},
      {"/v1/trees/{}/health", {"GET", "HEAD"}, {}},
      {"/v1/trees/{}/rollback", {"POST"}, {}},
      {"/v1/transactions", {"POST"}, {}},
      {"/v1/health", {"GET", "HEAD"}, {}},
      {"/v1/health/ready", {"GET", "HEAD"}, {}},
      {"/v1/health/live", {"GET", "HEAD"}, {}},
      {"/metrics", {"GET", "HEAD"}, {}},
  };
  return routes;
}

namespace {

bool matches(std::string_view pattern, std::string_view path) {
  while (!pattern.empty()) {
    size_t hole = pattern.find("{}");
    if (hole == std::string_view::npos) return pattern == path;
    if (path.substr(0, hole) != pattern.substr(0, hole)) return false;
    path.remove_prefix(hole);
    pattern.remove_prefix(hole + 2);
    size_t end = path.find('/');
    if (end == 0 || path.empty()) return false;  // an empty segment
    path.remove_prefix(end == std::string_view::npos ? path.size() : end);
  }
  return path.empty();
}

}  // namespace

const Route* find_route(std::string_view path) {
  for (const Route& r : api_routes()) {
    if (matches(r.pattern, path)) return &r;
  }
  return nullptr;
}

std::optional<bool> parse_flag(std::string_view value) {
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  return std::nullopt;
}

std::optional<uint64_t> parse_u64(std::string_view value) {
  uint64_t out = 0;
  if (value.empty() || value.front() < '0' || value.front() > '9') return std::nullopt;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
  return out;
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    char c = authorization[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return std::nullopt;
  }
  std::string_view rest = authorization.substr(kScheme.size());
  if (rest.front() != ' ') return std::nullopt;
  rest.remove_prefix(rest.find_first_not_of(' ') == std::string_view::npos ? rest.size()
                                                                            : rest.find_first_not_of(' '));
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (rest.empty()) return std::nullopt;
  return rest;
}

bool check_query(std::string_view target, std::string* error) {
  if (target.find('#') != std::string_view::npos) {
    *error = "the request target holds a fragment ('#'), which a request never carries";
    return false;
  }
  size_t q = target.find('?');
  if (q == std::string_view::npos) return true;
  std::string_view query = target.substr(q + 1);
  std::vector<std::string_view> names;
  for (size_t begin = 0; begin <= query.size();) {
    size_t end = query.find('&', begin);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(begin, end - begin);
    size_t eq = pair.find('=');
    if (pair.empty() || eq == 0 || eq == std::string_view::npos || pair.find('=', eq + 1) != std::string_view::npos ||
        pair.find(';') != std::string_view::npos) {
      *error = "the query's pair '" + printable(pair) + "' is not name=value";
      return false;
    }
    // Given twice, even with the same value: a request says each thing once.
    std::string_view name = pair.substr(0, eq);
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      *error = "query parameter '" + printable(name) + "' is given twice";
      return false;
    }
    names.push_back(name);
    begin = end + 1;
  }
  return true;
}

namespace {

bool is_tchar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) v.remove_suffix(1);
  return v;
}

// Calls fn(name, value) for each header line; false if fn does.
template <class Fn>
bool for_each_header(std::string_view head, Fn fn) {
  size_t line_end = head.find('\n');  // past the request line
  while (line_end != std::string_view::npos && line_end + 1 < head.size()) {
    size_t begin = line_end + 1;
    line_end = head.find('\n', begin);
    std::string_view line = head.substr(begin, (line_end == std::string_view::npos ? head.size() : line_end) - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // the end of the head
    if (!fn(line)) return false;
  }
  return true;
}

}  // namespace

bool check_framing(std::string_view raw_head, int* status, std::string* error) {
  *status = 400;
  size_t content_lengths = 0, transfer_encodings = 0, hosts = 0, expects = 0, authorizations = 0;
  bool chunked = false;
  bool ok = for_each_header(raw_head, [&](std::string_view line) {
    if (line.front() == ' ' || line.front() == '\t') {
      *error = "a folded header line (obsolete line folding is refused)";
      return false;
    }
    size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    bool token = colon != std::string_view::npos && colon > 0;
    for (unsigned char c : name) token = token && is_tchar(c);
    if (!token) {
      *error = "the header line '" + printable(line, 60) + "' does not start with a name and ':'";
      return false;
    }
    std::string_view value = line.substr(colon + 1);
    for (unsigned char c : value) {
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        *error = "the header " + std::string(name) + " holds a control byte";
        return false;
      }
    }
    value = trim(value);
    if (iequals(name, "Content-Length")) {
      ++content_lengths;
      if (value.empty() || value.find_first_not_of("0123456789") != std::string_view::npos) {
        *error = "Content-Length '" + printable(value, 40) + "' is not a number of bytes";
        return false;
      }
      if (!parse_u64(value)) {  // digits past 2^64 - 1: no body that size is taken
        *status = 413;
        *error = "Content-Length '" + printable(value, 40) + "' exceeds any body this server takes";
        return false;
      }
    } else if (iequals(name, "Transfer-Encoding")) {
      ++transfer_encodings;
      chunked = iequals(value, "chunked");
      if (!chunked) {
        *status = 501;
        *error = "Transfer-Encoding '" + printable(value, 40) + "' is not served (only chunked)";
        return false;
      }
    } else if (iequals(name, "Host")) {
      ++hosts;
    } else if (iequals(name, "Authorization") && ++authorizations > 1) {
      // httplib reads the first: a proxy or another reader could take the second.
      *error = "Authorization is given more than once";
      return false;
    } else if (iequals(name, "Expect") && ++expects > 1) {
      // httplib reads the first: a second could be met by neither answer.
      *error = "Expect is given more than once";
      return false;
    } else if (iequals(name, "Expect") && !iequals(value, "100-continue")) {
      *status = 417;
      *error = "Expect '" + printable(value, 40) + "' cannot be met (only 100-continue)";
      return false;
    }
    return true;
  });
  if (!ok) return false;
  if (content_lengths > 1 || transfer_encodings > 1) {
    *error = content_lengths > 1 ? "Content-Length is given more than once" : "Transfer-Encoding is given more than once";
    return false;
  }
  if (content_lengths && transfer_encodings) {
    *error = "both Content-Length and Transfer-Encoding: the body's length would be ambiguous";
    return false;
  }
  size_t line_end = raw_head.find('\n');
  std::string_view request_line = trim(raw_head.substr(0, line_end));
  if (request_line.size() >= 8 && request_line.substr(request_line.size() - 8) == "HTTP/1.1" && hosts != 1) {
    *error = hosts ? "Host is given more than once" : "an HTTP/1.1 request needs a Host header";
    return false;
  }
  return true;
}

std::optional<std::string_view> raw_header(std::string_view raw_head, std::string_view name) {
  std::optional<std::string_view> found;
  for_each_header(raw_head, [&](std::string_view line) {
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && iequals(line.substr(0, colon), name)) {
      found = trim(line.substr(colon + 1));
      return false;
    }
    return true;
  });
  return found;
}

std::vector<std::string_view> raw_headers(std::string_view raw_head, std::string_view name) {
  std::vector<std::string_view> found;
  for_each_header(raw_head, [&](std::string_view line) {
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && iequals(line.substr(0, colon), name)) found.push_back(trim(line.substr(colon + 1)));
    return true;
  });
  return found;
}

bool same_token(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

}  // namespace basis::daemon
