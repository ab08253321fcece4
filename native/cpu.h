// Instruction-set detection (CPUID + XCR0) and the path chosen once at load time.
#pragma once

namespace imcls {

enum class Isa { baseline = 0, avx2 = 1, avx512 = 2 };

// The best path this CPU and OS support.
Isa detected_isa();
// detected_isa() lowered by IMCLS_ISA=baseline|avx2|avx512 (never raised above what the CPU has).
Isa selected_isa();
const char* isa_name(Isa isa);

}  // namespace imcls
