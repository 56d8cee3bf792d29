#include "engine/json_log_formatter.h"

#include <time.h>

#include <chrono>
#include <cstdio>

namespace basis::engine {

namespace {

// The length of the valid UTF-8 sequence at the start of `s` (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0.
size_t utf8_sequence_length(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char b0 = byte(0);
  size_t n;
  unsigned char lo = 0x80, hi = 0xbf;  // the range of the second byte
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    n = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    n = 3;
    if (b0 == 0xe0) lo = 0xa0;  // overlong
    if (b0 == 0xed) hi = 0x9f;  // surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    n = 4;
    if (b0 == 0xf0) lo = 0x90;  // overlong
    if (b0 == 0xf4) hi = 0x8f;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < n || byte(1) < lo || byte(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  }
  return n;
}

void append_hex_escape(const char* format, unsigned char c, std::string* out) {
  char buf[8];
  std::snprintf(buf, sizeof buf, format, c);
  *out += buf;
}

}  // namespace

void append_json_string_contents(std::string_view text, std::string* out) {
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      if (size_t n = utf8_sequence_length(text.substr(i)); n != 0) {
        out->append(text.substr(i, n));
        i += n;
      } else {
        append_hex_escape("\\\\x%02x", c, out);  // the JSON text \\xNN: the characters \xNN
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          append_hex_escape("\\u%04x", c, out);  // DEL too: a terminal showing the log takes it raw
        } else {
          *out += static_cast<char>(c);
        }
    }
    ++i;
  }
}

std::string_view log_level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    default: return "off";
  }
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  using namespace std::chrono;
  auto since_epoch = msg.time.time_since_epoch();
  time_t seconds = static_cast<time_t>(duration_cast<std::chrono::seconds>(since_epoch).count());
  auto millis = duration_cast<milliseconds>(since_epoch).count() % 1000;
  struct tm utc {};
  gmtime_r(&seconds, &utc);
  char time_text[40];
  size_t time_size = strftime(time_text, sizeof time_text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(time_text + time_size, sizeof time_text - time_size, ".%03dZ", static_cast<int>(millis));

  std::string line = "{\"time\":\"";
  line += time_text;
  line += "\",\"level\":\"";
  line += log_level_name(msg.level);
  line += "\",\"logger\":\"";
  append_json_string_contents(std::string_view(msg.logger_name.data(), msg.logger_name.size()), &line);
  line += "\",\"message\":\"";
  append_json_string_contents(std::string_view(msg.payload.data(), msg.payload.size()), &line);
  line += "\"}\n";
  dest.append(line.data(), line.data() + line.size());
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const { return std::make_unique<JsonLogFormatter>(); }

}  // namespace basis::engine
