// CRC-32C (Castagnoli), the checksum of every stored record.
#pragma once

#include <cstdint>
#include <string_view>

namespace basis::storage {

uint32_t crc32c(std::string_view data);
// The table-driven form, whatever the CPU (for tests).
uint32_t crc32c_portable(std::string_view data);

}  // namespace basis::storage
