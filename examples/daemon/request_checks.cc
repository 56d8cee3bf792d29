#include "examples/daemon/request_checks.h"

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
      {"/v1/health", {"GET", "HEAD"}, {}},
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

bool same_token(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

}  // namespace basis::daemon
