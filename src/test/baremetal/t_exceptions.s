# exceptions: every exception vector the CPU raises, with saved EIP (fault vs trap) and error code.
# SDM Vol.3 ch.6 (6.3 sources, 6.5 classes, 6.13 error code, 6.15 per-vector reference).
.include "lib.inc"
    .section .rodata
    .globl test_name
test_name: .asciz "exceptions"
    .data
bounds:     .long 10, 20
f_zero:     .long 0
cw_zm:      .word 0x037B           # default control word with ZM (bit 2) unmasked
    .bss
    .align 16
tss_small:  .skip 128

    .text
    .globl test_main
test_main:
# ---- #DE (6.15 int 0): fault, EIP = the DIV
    movl $1, %eax
    xorl %edx, %edx
    xorl %ecx, %ecx
    TRY 1f
2:  divl %ecx
1:  CHECK_EXC de.div0, $V_DE, $0, $2b
    movl $1, %edx                  # 0x1_00000000 / 1 does not fit in 32 bits
    xorl %eax, %eax
    movl $1, %ecx
    TRY 1f
2:  divl %ecx
1:  CHECK_EXC de.div_overflow, $V_DE, $0, $2b
    movl $0x80000000, %eax         # INT_MIN / -1
    cdq
    movl $-1, %ecx
    TRY 1f
2:  idivl %ecx
1:  CHECK_EXC de.idiv_overflow, $V_DE, $0, $2b
    movw $0x100, %ax               # 256 / 1 does not fit in AL
    movb $1, %bl
    TRY 1f
2:  divb %bl
1:  CHECK_EXC de.div8_overflow, $V_DE, $0, $2b
    movl $100, %eax
    xorl %edx, %edx
    movl $7, %ecx
    TRY 1f
    divl %ecx
1:  CHECK_NOEXC de.none
    CHECK de.quotient, %eax, $14
    CHECK de.remainder, %edx, $2

# ---- #DB single step (6.15 int 1, 17.3.1.4): trap after the instruction following POPF
    xorl %eax, %eax
    movl %eax, %dr6
    TRY 1f
    pushfl
    orl $F_TF, (%esp)
    popfl
    nop
1:  CHECK_EXC db.single_step, $V_DB, $0, $1b
    movl %dr6, %eax
    andl $0x4000, %eax
    CHECK db.dr6_bs, %eax, $0x4000
    movl exc_eflags, %eax
    andl $F_TF, %eax
    CHECK db.pushed_tf, %eax, $F_TF
    pushfl
    popl %eax
    andl $F_TF, %eax
    CHECK db.tf_cleared_in_handler, %eax, $0
# ICEBP (0xF1): trap-like #DB, EIP after the opcode (SDM Vol.2 INT1)
    QUIRK noicebp, db.icebp, 3f
    TRY 1f
    .byte 0xF1
1:  CHECK_EXC db.icebp, $V_DB, $0, $1b
3:

# ---- #BP (int 3): trap, EIP after INT3 (1 byte) / INT 3 (2 bytes)
    TRY 1f
    int3
1:  CHECK_EXC bp.int3, $V_BP, $0, $1b
    TRY 1f
    .byte 0xCD, 0x03
1:  CHECK_EXC bp.int_3, $V_BP, $0, $1b

# ---- #OF (int 4): INTO traps when OF=1, EIP after INTO
    movl $0x7FFFFFFF, %eax
    addl $1, %eax
    TRY 1f
    into
1:  CHECK_EXC of.into, $V_OF, $0, $1b
    xorl %eax, %eax
    addl $1, %eax
    TRY 1f
    into
1:  CHECK_NOEXC of.into_no_of

# ---- #BR (int 5): BOUND fault, EIP = BOUND
    movl $25, %eax
    TRY 1f
2:  boundl %eax, bounds
1:  CHECK_EXC br.above, $V_BR, $0, $2b
    movl $9, %eax
    TRY 1f
2:  boundl %eax, bounds
1:  CHECK_EXC br.below, $V_BR, $0, $2b
    movl $20, %eax
    TRY 1f
    boundl %eax, bounds
1:  CHECK_NOEXC br.inclusive_upper

# ---- #UD (int 6): fault
    TRY 1f
2:  ud2
1:  CHECK_EXC ud.ud2, $V_UD, $0, $2b
    TRY 1f
2:  .byte 0x0F, 0xFF               # UD0
1:  CHECK_EXC ud.ud0, $V_UD, $0, $2b
    TRY 1f
2:  .byte 0x0F, 0x22, 0xC8         # mov %eax, %cr1
1:  CHECK_EXC ud.mov_cr1, $V_UD, $0, $2b
    TRY 1f
2:  .byte 0x8E, 0xC8               # mov %eax, %cs
1:  CHECK_EXC ud.mov_cs, $V_UD, $0, $2b
    TRY 1f
2:  .byte 0x8D, 0xC3               # lea with a register operand
1:  CHECK_EXC ud.lea_reg, $V_UD, $0, $2b
    TRY 1f
2:  .byte 0xF0, 0x90               # lock nop (SDM Vol.2 LOCK: #UD if not lockable)
1:  CHECK_EXC ud.lock_nop, $V_UD, $0, $2b
    TRY 1f
2:  .byte 0xF0, 0x01, 0xC3         # lock add %eax, %ebx (register destination)
1:  CHECK_EXC ud.lock_reg_dest, $V_UD, $0, $2b
# instruction longer than 15 bytes -> #GP(0) (SDM Vol.2 2.3.11)
    TRY 1f
2:  .fill 15, 1, 0x26
    nop
1:  CHECK_EXC gp.insn_16_bytes, $V_GP, $0, $2b
    TRY 1f
    .fill 14, 1, 0x26
    nop
1:  CHECK_NOEXC gp.insn_15_bytes_ok

# ---- #NM (int 7): SDM Vol.3 2.5 / Table 2-2 (EM, MP, TS)
    movl %cr0, %esi                # saved CR0
    movl %esi, %ebx
    andl $~0xE, %ebx               # MP=EM=TS=0
    orl $0x8, %ebx                 # TS
    movl %ebx, %cr0
    TRY 1f
2:  fld1
1:  CHECK_EXC nm.ts_fld1, $V_NM, $0, $2b
    TRY 1f
    fwait                          # MP=0: WAIT ignores TS
1:  CHECK_NOEXC nm.ts_wait_mp0
    orl $0x2, %ebx                 # MP=1, TS=1
    movl %ebx, %cr0
    TRY 1f
2:  fwait
1:  CHECK_EXC nm.ts_wait_mp1, $V_NM, $0, $2b
    clts
    movl %cr0, %ebx
    andl $0x8, %ebx
    CHECK nm.clts, %ebx, $0
    movl %esi, %ebx
    andl $~0xE, %ebx
    orl $0x4, %ebx                 # EM=1
    movl %ebx, %cr0
    TRY 1f
2:  fninit
1:  CHECK_EXC nm.em_fninit, $V_NM, $0, $2b
    TRY 1f
    fwait                          # EM does not affect WAIT
1:  CHECK_NOEXC nm.em_wait
    movl %esi, %cr0

# ---- #TS (int 10): task switch to a TSS whose limit is < 0x67 -> #TS(selector) (7.2.2)
    GDT_SET $SEL_S3, $tss_small, $0x60, $A_TSS32
    TRY 1f
2:  ljmp $SEL_S3, $0
1:  CHECK_EXC ts.small_tss_limit, $V_TS, $SEL_S3, $2b

# ---- #NP (int 11)
    GDT_SET $SEL_S0, $0, $0xFFFFF, $0xC012     # data segment, P=0
    TRY 1f
    movw $SEL_S0, %ax
2:  movw %ax, %ds
1:  CHECK_EXC np.load_ds, $V_NP, $SEL_S0, $2b
    GDT_SET $SEL_S1, $0, $0xFFFFF, $0xC01A     # code segment, P=0
    TRY 1f
2:  lcall $SEL_S1, $0
1:  CHECK_EXC np.far_call, $V_NP, $SEL_S1, $2b
    andl $~0x8000, idt+0x50*8+4                # gate 0x50 not present
    TRY 1f
2:  int $0x50
1:  CHECK_EXC np.int_gate, $V_NP, $(0x50*8+2), $2b
    IDT_RESET 0x50
    andl $~0x8000, idt+V_UD*8+4                # #UD gate not present: EXT+IDT
    TRY 1f
2:  ud2
1:  CHECK_EXC_EXT np.ud_gate_ext, $V_NP, (V_UD*8+3), $2b
    IDT_RESET V_UD

# ---- #SS (int 12): load SS with a not-present segment -> #SS(selector)
    TRY 1f
    movw $SEL_S0, %ax
2:  movw %ax, %ss
1:  CHECK_EXC ss.load_np, $V_SS, $SEL_S0, $2b

# ---- #GP (int 13), selector error codes (6.13)
    TRY 1f
    movw $0x100, %ax               # beyond the GDT limit
2:  movw %ax, %ds
1:  CHECK_EXC gp.ds_beyond_gdt, $V_GP, $0x100, $2b
    TRY 1f
    xorl %eax, %eax
2:  movw %ax, %ss
1:  CHECK_EXC gp.null_ss, $V_GP, $0, $2b
    TRY 1f
    movw $SEL_TSS, %ax
2:  movw %ax, %ds
1:  CHECK_EXC gp.ds_system_desc, $V_GP, $SEL_TSS, $2b
    GDT_SET $SEL_S2, $0, $0xFFFFF, $0xC098     # execute-only code
    TRY 1f
    movw $SEL_S2, %ax
2:  movw %ax, %ds
1:  CHECK_EXC gp.ds_exec_only, $V_GP, $SEL_S2, $2b
    TRY 1f
    movw $SEL_KCODE, %ax
2:  movw %ax, %ss
1:  CHECK_EXC gp.ss_code, $V_GP, $SEL_KCODE, $2b
    GDT_SET $SEL_S4, $0, $0xFFFFF, $0xC090     # read-only data
    TRY 1f
    movw $SEL_S4, %ax
2:  movw %ax, %ss
1:  CHECK_EXC gp.ss_readonly, $V_GP, $SEL_S4, $2b
    TRY 1f
    movw $SEL_UDATA, %ax
2:  movw %ax, %ss                  # DPL 3 != CPL 0
1:  CHECK_EXC gp.ss_dpl, $V_GP, $(SEL_UDATA & ~3), $2b
    TRY 1f
2:  ljmp $SEL_KDATA, $0
1:  CHECK_EXC gp.jmp_data, $V_GP, $SEL_KDATA, $2b
# gate beyond the IDT limit -> #GP(vector*8+2)
    movw $(0x80*8-1), idt_desc
    lidt idt_desc
    TRY 1f
2:  int $0x90
1:  movw $(256*8-1), idt_desc
    lidt idt_desc
    CHECK_EXC gp.int_beyond_idt, $V_GP, $(0x90*8+2), $2b
# gate selector beyond the GDT while delivering #UD (benign) -> #GP(selector+EXT), no #DF
    GATE_SET $(idt+8*V_UD), $(exc_stubs+16*V_UD), $0x100, $G_INT32, $0
    TRY 1f
2:  ud2
1:  CHECK_EXC_EXT gp.gate_selector_ext, $V_GP, 0x101, $2b
    IDT_RESET V_UD
# MSR that does not exist
    QUIRK nomsrgp, gp.rdmsr_unknown, 3f
    movl $0x12345678, %ecx
    TRY 1f
2:  rdmsr
1:  CHECK_EXC gp.rdmsr_unknown, $V_GP, $0, $2b
3:

# ---- #MF (int 16): CR0.NE=1, unmasked x87 exception reported at the next waiting instruction
    movl %cr0, %eax
    andl $~0xC, %eax
    orl $0x20, %eax                # NE=1, TS=EM=0
    movl %eax, %cr0
    fninit
    fldcw cw_zm
    fld1
    fdivs f_zero                   # 1/0: ZE pending, no exception yet
    fnstsw %ax
    movzwl %ax, %eax
    andl $0x0084, %eax             # ES (bit 7) and ZE (bit 2)
    CHECK mf.fsw_es_ze, %eax, $0x84
    TRY 1f
2:  fwait
1:  CHECK_EXC mf.fwait, $V_MF, $0, $2b
    QUIRK mfwaitonly, mf.fld1, 3f
    TRY 1f
2:  fld1                           # still pending: any waiting x87 instruction faults
1:  CHECK_EXC mf.fld1, $V_MF, $0, $2b
3:
    fnclex
    TRY 1f
    fwait
1:  CHECK_NOEXC mf.after_fnclex
    fninit

# ---- #DF (int 8): contributory during contributory (6.15 Table 6-5)
# #GP while delivering #NP: gate 11 selector beyond the GDT -> #DF with error code 0
    GATE_SET $(idt+8*V_NP), $(exc_stubs+16*V_NP), $0x100, $G_INT32, $0
    TRY 1f
    movw $SEL_S0, %ax
    movw %ax, %ds                  # #NP
1:  CHECK_EXC df.gp_during_np, $V_DF, $0, $ANY
    IDT_RESET V_NP
# #NP while delivering #GP: gate 13 not present -> #DF(0)
    andl $~0x8000, idt+V_GP*8+4
    TRY 1f
    movw $0x100, %ax
    movw %ax, %ds                  # #GP
1:  CHECK_EXC df.np_during_gp, $V_DF, $0, $ANY
    IDT_RESET V_GP
# #NP while delivering #DE: #DE is contributory too
    andl $~0x8000, idt+V_DE*8+4
    xorl %ecx, %ecx
    TRY 1f
    divl %ecx
1:  CHECK_EXC df.np_during_de, $V_DF, $0, $ANY
    IDT_RESET V_DE

# ---- INT n and INT3 from ring 3: gate DPL checked against CPL (6.12.1.1)
    IDT_SET 0x41, $(exc_stubs+16*0x41), $G_INT32_U
    ENTER_RING3
    TRY3 1f
2:  int $0x40                      # DPL 0 gate
1:  CHECK_EXC ring3.int_dpl0_gate, $V_GP, $(0x40*8+2), $2b
    CHECK ring3.gp_cs, exc_cs, $SEL_UCODE
    ENTER_RING3
    TRY3 1f
    int $0x41                      # DPL 3 gate
1:  CHECK_EXC ring3.int_dpl3_gate, $0x41, $0, $1b
    CHECK ring3.int_saved_ss, exc_ss3, $SEL_UDATA
    CHECK ring3.int_saved_esp, exc_esp3, $user_stack_top
    ENTER_RING3
    TRY3 1f
2:  int3                           # gate 3 is DPL 0
1:  CHECK_EXC ring3.int3_dpl0_gate, $V_GP, $(3*8+2), $2b
    ENTER_RING3
    TRY3 1f
2:  hlt
1:  CHECK_EXC ring3.hlt, $V_GP, $0, $2b
    ENTER_RING3
    TRY3 1f
2:  movl %cr0, %eax
1:  CHECK_EXC ring3.mov_from_cr0, $V_GP, $0, $2b
    IDT_RESET 0x41
    ret
