# paging: 32-bit 2-level paging. SDM Vol.3 ch.4: 4.3 (32-bit paging, PSE 4 MiB pages), 4.6 (access
# rights, CR0.WP), 4.7 (#PF error code, CR2), 4.8 (accessed/dirty flags), 4.10.4 (INVLPG, CR3 and
# CR4.PGE invalidation; global pages).
.include "lib.inc"
    .section .rodata
    .globl test_name
test_name: .asciz "paging"

.set P, 1
.set W, 2
.set U, 4
.set A, 0x20
.set D, 0x40
.set PS, 0x80
.set G, 0x100
.set VA_A,   0x400000          # -> frame_a  P|W|U
.set VA_NP,  0x401000          # not present
.set VA_RO,  0x402000          # -> frame_a  P|U (read-only)
.set VA_SUP, 0x403000          # -> frame_a  P|W (supervisor)
.set VA_AD,  0x404000          # -> frame_b  P|W|U, A/D cleared
.set VA_TLB, 0x405000          # -> frame_a, later frame_b
.set VA_G,   0x406000          # global page
.set VA_4M,  0x800000          # 4 MiB page -> physical 0
.set VA_PRO, 0xC00000          # PDE read-only, PTE writable
.set VA_PSU, 0x1000000         # PDE supervisor, PTE user

    .bss
    .align 4096
pd:      .skip 4096
pt0:     .skip 4096
pt1:     .skip 4096
pt3:     .skip 4096
frame_a: .skip 4096
frame_b: .skip 4096

    .text
    .globl test_main
test_main:
    movl $0xAAAA0001, frame_a
    movl $0xAAAA0002, frame_a+0x123
    movl $0xBBBB0001, frame_b
# identity map 0..4 MiB with 4 KiB pages, user writable
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $12, %eax
    orl $(P|W|U), %eax
    movl %eax, pt0(,%ecx,4)
    incl %ecx
    cmpl $1024, %ecx
    jne 1b
    movl $(pt0+P+W+U), pd
    movl $(pt1+P+W+U), pd+4
    movl $(0+P+W+U+PS), pd+8                 # 0x800000: 4 MiB page -> physical 0
    movl $(pt3+P+U), pd+12                   # 0xC00000: PDE read-only
    movl $(pt3+P+W), pd+16                   # 0x1000000: PDE supervisor
    movl $(frame_a+P+W+U), pt1+0*4
    movl $0, pt1+1*4
    movl $(frame_a+P+U), pt1+2*4
    movl $(frame_a+P+W), pt1+3*4
    movl $(frame_b+P+W+U), pt1+4*4
    movl $(frame_a+P+W+U), pt1+5*4
    movl $(frame_a+P+W+U+G), pt1+6*4
    movl $(frame_b+P+W+U), pt3               # 0xC00000 and 0x1000000 -> frame_b (PTE P|W|U)
    movl $pd, %eax
    movl %eax, %cr3
    movl %cr4, %eax
    orl $0x10, %eax                          # CR4.PSE
    movl %eax, %cr4
    movl %cr0, %eax
    andl $~0x10000, %eax                     # WP=0
    orl $0x80000000, %eax
    movl %eax, %cr0
    jmp 1f
1:  CHECK pg.enabled_identity, frame_a, $0xAAAA0001
    CHECK pg.4k_read, VA_A, $0xAAAA0001
    movl $0xAAAA0003, VA_A+8
    CHECK pg.4k_write, frame_a+8, $0xAAAA0003
    movl $frame_a, %eax
    CHECK pg.pse_4m_read, VA_4M(%eax), $0xAAAA0001
    movl VA_4M+frame_a+0x123, %eax
    CHECK pg.pse_4m_offset, %eax, $0xAAAA0002

# ---- accessed / dirty (4.8)
    andl $~(A|D), pt1+4*4
    andl $~(A|D), pd+4
    invlpg VA_AD
    movl VA_AD, %eax
    CHECK ad.read_value, %eax, $0xBBBB0001
    movl pt1+4*4, %eax
    andl $(A|D), %eax
    CHECK ad.pte_after_read, %eax, $A
    movl pd+4, %eax
    andl $A, %eax
    CHECK ad.pde_accessed, %eax, $A
    movl $0xBBBB0002, VA_AD+4
    movl pt1+4*4, %eax
    andl $(A|D), %eax
    CHECK ad.pte_after_write, %eax, $(A|D)
    movl pd+4, %eax
    andl $D, %eax
    CHECK ad.pde_4k_no_dirty, %eax, $0       # D is ignored/not set in a PDE that maps a table
    andl $~(A|D), pd+8
    invlpg VA_4M
    movl VA_4M+frame_b, %eax
    movl pd+8, %eax
    andl $(A|D), %eax
    CHECK ad.pde_4m_after_read, %eax, $A
    movl $0xBBBB0003, VA_4M+frame_b+8
    movl pd+8, %eax
    andl $(A|D), %eax
    CHECK ad.pde_4m_after_write, %eax, $(A|D)

# ---- #PF error codes and CR2 at CPL 0 (4.7)
    TRY 1f
2:  movl VA_NP+0x123, %eax
1:  CHECK_EXC pf.np_read, $V_PF, $0, $2b
    CHECK pf.np_read_cr2, exc_cr2, $(VA_NP+0x123)
    TRY 1f
2:  movl %eax, VA_NP+0x456
1:  CHECK_EXC pf.np_write, $V_PF, $2, $2b
    CHECK pf.np_write_cr2, exc_cr2, $(VA_NP+0x456)
    movl $(VA_NP+0x10), %ebx
    TRY 1f
    call *%ebx
1:  CHECK_EXC pf.np_fetch, $V_PF, $0, %ebx
    CHECK pf.np_fetch_cr2, exc_cr2, %ebx
    TRY 1f
2:  movl VA_A+0xFFE, %eax                  # straddles into the not-present page
1:  CHECK_EXC pf.straddle, $V_PF, $0, $2b
    CHECK_RANGE pf.straddle_cr2, exc_cr2, $VA_NP, $(VA_NP+2)
    TRY 1f
    movl $0xAAAA0004, VA_RO+12               # WP=0: supervisor writes ignore R/W
1:  CHECK_NOEXC pf.wp0_write_ro
    CHECK pf.wp0_write_ro_value, frame_a+12, $0xAAAA0004
    TRY 1f
    movl $0xAAAA0005, VA_PRO+16              # WP=0, PDE read-only
1:  CHECK_NOEXC pf.wp0_write_pde_ro
    movl %cr0, %eax
    orl $0x10000, %eax                       # CR0.WP=1
    movl %eax, %cr0
    TRY 1f
2:  movl $1, VA_RO+12
1:  CHECK_EXC pf.wp1_write_ro, $V_PF, $(P|W), $2b
    CHECK pf.wp1_write_ro_cr2, exc_cr2, $(VA_RO+12)
    CHECK pf.wp1_no_write, frame_a+12, $0xAAAA0004
    TRY 1f
2:  movl $1, VA_PRO+16
1:  CHECK_EXC pf.wp1_write_pde_ro, $V_PF, $(P|W), $2b
    TRY 1f
    movl $0xAAAA0006, VA_SUP+20              # supervisor page, writable
1:  CHECK_NOEXC pf.wp1_write_rw_ok
    movl %cr0, %eax
    andl $~0x10000, %eax
    movl %eax, %cr0

# ---- #PF at CPL 3 (U/S bit 2 set in the error code)
    ENTER_RING3
    movl VA_RO, %eax
    movl %eax, %ebx
    LEAVE_RING3
    CHECK pf.user_read_ro_ok, %ebx, $0xAAAA0001
    ENTER_RING3
    TRY3 1f
2:  movl $1, VA_RO
1:  CHECK_EXC pf.user_write_ro, $V_PF, $(P|W|U), $2b
    CHECK pf.user_write_ro_cr2, exc_cr2, $VA_RO
    ENTER_RING3
    TRY3 1f
2:  movl VA_SUP+8, %eax
1:  CHECK_EXC pf.user_read_sup, $V_PF, $(P|U), $2b
    CHECK pf.user_read_sup_cr2, exc_cr2, $(VA_SUP+8)
    ENTER_RING3
    TRY3 1f
2:  movl %eax, VA_SUP
1:  CHECK_EXC pf.user_write_sup, $V_PF, $(P|W|U), $2b
    ENTER_RING3
    TRY3 1f
2:  movl VA_NP, %eax
1:  CHECK_EXC pf.user_read_np, $V_PF, $U, $2b
    ENTER_RING3
    TRY3 1f
2:  movl %eax, VA_NP+4
1:  CHECK_EXC pf.user_write_np, $V_PF, $(W|U), $2b
    ENTER_RING3
    TRY3 1f
2:  movl $1, VA_PRO
1:  CHECK_EXC pf.user_write_pde_ro, $V_PF, $(P|W|U), $2b
    ENTER_RING3
    TRY3 1f
2:  movl VA_PSU, %eax
1:  CHECK_EXC pf.user_read_pde_sup, $V_PF, $(P|U), $2b
    CHECK pf.user_read_pde_sup_cr2, exc_cr2, $VA_PSU
    movl $(VA_SUP+0x40), %ebx
    ENTER_RING3
    TRY3 1f
    call *%ebx
1:  CHECK_EXC pf.user_fetch_sup, $V_PF, $(P|U), %ebx
    CHECK pf.user_fetch_saved_cs, exc_cs, $SEL_UCODE

# ---- TLB invalidation (4.10.4): only what is architecturally guaranteed
    CHECK tlb.first, VA_TLB, $0xAAAA0001
    movl $(frame_b+P+W+U), pt1+5*4
    invlpg VA_TLB
    CHECK tlb.after_invlpg, VA_TLB, $0xBBBB0001
    movl $(frame_a+P+W+U), pt1+5*4
    movl %cr3, %eax
    movl %eax, %cr3
    CHECK tlb.after_cr3_reload, VA_TLB, $0xAAAA0001
    movl $0, pt1+5*4
    invlpg VA_TLB
    TRY 1f
2:  movl VA_TLB, %eax
1:  CHECK_EXC tlb.unmapped_after_invlpg, $V_PF, $0, $2b

# ---- global pages (CR4.PGE)
    movl %cr4, %eax
    orl $0x80, %eax
    movl %eax, %cr4
    CHECK pge.first, VA_G, $0xAAAA0001
    movl $(frame_b+P+W+U+G), pt1+6*4
    movl %cr3, %eax
    movl %eax, %cr3
    movl VA_G, %eax                          # stale or new: not architecturally guaranteed
    PRINT "info: global page after CR3 reload reads "
    PRINTHEX %eax
    PRINT " (AAAA0001 = TLB entry kept, BBBB0001 = refetched)\n"
    invlpg VA_G
    CHECK pge.after_invlpg, VA_G, $0xBBBB0001
    movl $(frame_a+P+W+U+G), pt1+6*4
    movl %cr4, %eax
    andl $~0x80, %eax
    movl %eax, %cr4                          # clearing PGE flushes global entries
    orl $0x80, %eax
    movl %eax, %cr4
    CHECK pge.after_cr4_toggle, VA_G, $0xAAAA0001
    movl %cr4, %eax
    andl $0x90, %eax
    CHECK pge.cr4_bits, %eax, $0x90

# ---- paging off again
    movl %cr0, %eax
    andl $~0x80000000, %eax
    movl %eax, %cr0
    jmp 1f
1:  movl %cr4, %eax
    andl $~0x90, %eax
    movl %eax, %cr4
    CHECK pg.disabled, frame_a, $0xAAAA0001
    ret
