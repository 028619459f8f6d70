# cpuid_msr: CPUID identification and P6 feature bits (checked against behaviour), RDTSC, MSRs.
# SDM Vol.2 CPUID/RDTSC/RDMSR/WRMSR/CMPXCHG8B/CMOVcc, Vol.3 2.5 (CR4.TSD), Vol.4 (MSR 0x10,
# 0x174-0x176). Only what every honest P6-class CPU provides is required, not QEMU's exact bits.
.include "lib.inc"
    .section .rodata
    .globl test_name
test_name: .asciz "cpuid_msr"
    .data
    .align 8
vendor:     .skip 16
cx8_mem:    .long 0x11111111, 0x22222222
tsc_prev:   .long 0, 0
tsc_first:  .long 0, 0
    .text
# feature_bit name, bit : CHECK that CPUID.1:EDX bit is set (EDX saved in %esi)
.macro FEATURE name, bit
    movl %esi, %eax
    shrl $\bit, %eax
    andl $1, %eax
    CHECK \name, %eax, $1
.endm
    .globl test_main
test_main:
# ---- leaf 0: max leaf and vendor string
    xorl %eax, %eax
    cpuid
    movl %ebx, vendor
    movl %edx, vendor+4
    movl %ecx, vendor+8
    movb $0, vendor+12
    CHECK_RANGE cpuid0.max_leaf, %eax, $1, $0x7FFFFFFF
    PRINT "info: vendor '"
    pushl $vendor
    call puts
    leal 4(%esp), %esp
    PRINT "'\n"
    xorl %ebx, %ebx                 # count printable characters
    xorl %ecx, %ecx
1:  movb vendor(%ecx), %al
    cmpb $0x20, %al
    jb 2f
    cmpb $0x7E, %al
    ja 2f
    incl %ebx
2:  incl %ecx
    cmpl $12, %ecx
    jne 1b
    CHECK cpuid0.vendor_printable, %ebx, $12

# ---- leaf 1: family 6 and the P6 feature bits
    movl $1, %eax
    cpuid
    movl %edx, %esi
    PRINT "info: CPUID.1 eax="
    PRINTHEX %eax
    PRINT " edx="
    PRINTHEX %edx
    PRINT " ecx="
    PRINTHEX %ecx
    PRINT "\n"
    shrl $8, %eax
    andl $0xF, %eax
    CHECK cpuid1.family_6, %eax, $6
    FEATURE cpuid1.fpu, 0
    FEATURE cpuid1.pse, 3
    FEATURE cpuid1.tsc, 4
    FEATURE cpuid1.msr, 5
    FEATURE cpuid1.cx8, 8
    FEATURE cpuid1.sep, 11
    FEATURE cpuid1.pge, 13
    FEATURE cpuid1.cmov, 15
# ... and the advertised features behave
    fninit
    fnstsw %ax
    movzwl %ax, %eax
    CHECK fpu.present, %eax, $0
    xorl %eax, %eax
    movl $5, %ebx
    movl $7, %ecx
    cmpl $0, %eax
    cmovel %ebx, %ecx
    cmovnel %eax, %ebx
    CHECK cmov.taken, %ecx, $5
    CHECK cmov.not_taken, %ebx, $5
    movl $0x11111111, %eax
    movl $0x22222222, %edx
    movl $0x33333333, %ebx
    movl $0x44444444, %ecx
    cmpxchg8b cx8_mem
    CHECK_FLAG cx8.equal_zf, F_ZF, 1
    CHECK cx8.stored_lo, cx8_mem, $0x33333333
    CHECK cx8.stored_hi, cx8_mem+4, $0x44444444
    xorl %eax, %eax
    xorl %edx, %edx
    cmpxchg8b cx8_mem
    CHECK_FLAG cx8.differ_zf, F_ZF, 0
    CHECK cx8.loaded_lo, %eax, $0x33333333
    CHECK cx8.loaded_hi, %edx, $0x44444444
    movl %cr4, %eax
    orl $0x90, %eax                 # PSE, PGE writable
    movl %eax, %cr4
    movl %cr4, %ebx
    andl $0x90, %ebx
    CHECK cr4.pse_pge_writable, %ebx, $0x90
    andl $~0x90, %eax
    movl %eax, %cr4

# ---- RDTSC is monotonic
    rdtsc
    movl %eax, tsc_prev
    movl %edx, tsc_prev+4
    movl %eax, tsc_first
    movl %edx, tsc_first+4
    xorl %edi, %edi                 # backwards steps
    movl $1000, %esi
1:  rdtsc
    cmpl tsc_prev+4, %edx
    ja 2f
    jb 3f
    cmpl tsc_prev, %eax
    jae 2f
3:  incl %edi
2:  movl %eax, tsc_prev
    movl %edx, tsc_prev+4
    decl %esi
    jnz 1b
    CHECK tsc.monotonic, %edi, $0
    movl tsc_prev, %eax
    movl tsc_prev+4, %edx
    subl tsc_first, %eax
    sbbl tsc_first+4, %edx
    orl %edx, %eax
    setnz %al
    movzbl %al, %eax
    CHECK tsc.advances, %eax, $1
# CR4.TSD: RDTSC at CPL 3 allowed when clear, #GP(0) when set
    ENTER_RING3
    TRY3 1f
    rdtsc
    LEAVE_RING3
1:  CHECK_NOEXC tsc.cpl3_tsd0
    movl %cr4, %eax
    orl $4, %eax
    movl %eax, %cr4
    ENTER_RING3
    TRY3 1f
2:  rdtsc
1:  CHECK_EXC tsc.cpl3_tsd1, $V_GP, $0, $2b
    movl %cr4, %eax
    andl $~4, %eax
    movl %eax, %cr4
# CPUID is not privileged
    ENTER_RING3
    xorl %eax, %eax
    cpuid
    LEAVE_RING3
    CHECK cpuid.cpl3_vendor, %ebx, vendor

# ---- SYSENTER MSRs read back what was written
    movl $0x174, %ecx
    movl $SEL_KCODE, %eax
    xorl %edx, %edx
    wrmsr
    xorl %eax, %eax
    rdmsr
    CHECK msr.sysenter_cs, %eax, $SEL_KCODE
    movl $0x175, %ecx
    movl $0x12345678, %eax
    xorl %edx, %edx
    wrmsr
    xorl %eax, %eax
    rdmsr
    CHECK msr.sysenter_esp, %eax, $0x12345678
    CHECK msr.sysenter_esp_hi, %edx, $0
    movl $0x176, %ecx
    movl $0x9ABCDEF0, %eax
    xorl %edx, %edx
    wrmsr
    xorl %eax, %eax
    rdmsr
    CHECK msr.sysenter_eip, %eax, $0x9ABCDEF0
    movl $0x174, %ecx
    xorl %eax, %eax
    xorl %edx, %edx
    wrmsr
# ---- IA32_TIME_STAMP_COUNTER (MSR 0x10)
    movl $0x10, %ecx
    rdmsr
    movl %eax, %esi
    movl %edx, %edi
    rdtsc
    subl %esi, %eax
    sbbl %edi, %edx
    movl %edx, %eax
    shrl $31, %eax
    CHECK msr.tsc_read_not_ahead, %eax, $0
    QUIRK notscwrite, msr.tsc_write, 3f
    movl $0x10, %ecx
    movl $0x40000000, %eax          # high half 0: same result with P6's 32-bit TSC write
    xorl %edx, %edx
    wrmsr
    rdtsc
    CHECK msr.tsc_write_hi, %edx, $0
    CHECK_RANGE msr.tsc_write_lo, %eax, $0x40000000, $0xFFFFFFFF
3:
# ---- WRMSR at CPL 3, unknown MSRs
    ENTER_RING3
    movl $0x175, %ecx
    TRY3 1f
2:  wrmsr
1:  CHECK_EXC msr.wrmsr_cpl3, $V_GP, $0, $2b
    QUIRK nomsrgp, msr.unknown_rdmsr, 3f
    movl $0x12345678, %ecx
    TRY 1f
2:  rdmsr
1:  CHECK_EXC msr.unknown_rdmsr, $V_GP, $0, $2b
    movl $0x12345678, %ecx
    xorl %eax, %eax
    xorl %edx, %edx
    TRY 1f
2:  wrmsr
1:  CHECK_EXC msr.unknown_wrmsr, $V_GP, $0, $2b
3:  ret
