// Log lines as JSON, one object a line:
//   {"time":"2024-05-01T12:00:00.123Z","level":"info","logger":"basis","message":"..."}
// for log collectors that parse lines. spdlog's pattern cannot escape the
// message, so this formatter does: every line is valid JSON (RFC 8259) and
// valid UTF-8 whatever the message holds. Quotes, backslashes and control
// characters are escaped; a byte that is not part of valid UTF-8 appears as
// the text \xNN (the same notation as the daemon's error messages).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/formatter.h>

namespace basis::engine {

// Appends `text` to `out` as the contents of a JSON string (no quotes).
void append_json_string_contents(std::string_view text, std::string* out);

// The level names of the [logging] level key: trace, debug, info, warn, error, critical.
std::string_view log_level_name(spdlog::level::level_enum level);

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace basis::engine
