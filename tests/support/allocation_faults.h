// Out-of-memory where it really happens: linking allocation_faults.cc into a
// test program replaces its global operator new, so that while armed, an
// allocation of exactly `size` bytes throws std::bad_alloc (the nothrow forms
// return null), as an exhausted heap would. A size no other code allocates
// (a value length of 777,777 bytes, say) picks the code that copies such a
// value. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace basis::testing {

// The next `count` allocations of exactly `size` bytes fail (UINT64_MAX: all,
// until stopped).
void fail_allocations_of(size_t size, uint64_t count);
void stop_failing_allocations();
// Allocations failed so far.
uint64_t failed_allocations();

}  // namespace basis::testing
