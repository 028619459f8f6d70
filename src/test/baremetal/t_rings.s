# rings: privilege level changes. SDM Vol.3 5.8 (call gates, parameter copying, far RET to an outer
# level), 6.12.1 (stack switch on interrupts, trap vs interrupt gate IF), 7.7 (TSS stack pointers),
# 18.5 / 19.5 (IOPL, I/O permission bitmap), Vol.2 IRET/POPF/CLI/STI/SYSENTER/SYSEXIT.
.include "lib.inc"
    .section .rodata
    .globl test_name
test_name: .asciz "rings"
    .data
gate_frame: .long 0,0,0,0,0,0
gate_flags: .long 0
gate_esp:   .long 0
sys_cs:     .long 0
sys_ss:     .long 0
sys_esp:    .long 0
sys_flags:  .long 0
    .bss
    .align 16
    .skip 1024
sysenter_stack_top:

    .text
    .globl test_main
test_main:
# ---- IRET to ring 3 and INT back (ENTER_RING3 / LEAVE_RING3)
    ENTER_RING3
    movw %cs, %ax
    movzwl %ax, %eax
    movw %ss, %bx
    movzwl %bx, %ebx
    movl %esp, %ecx
    LEAVE_RING3
1:  CHECK r3.cs, %eax, $SEL_UCODE
    CHECK r3.ss, %ebx, $SEL_UDATA
    CHECK r3.esp, %ecx, $user_stack_top
    CHECK int.pushed_eip, r3_frame, $1b
    CHECK int.pushed_cs, r3_frame+4, $SEL_UCODE
    CHECK int.pushed_esp, r3_frame+12, $user_stack_top
    CHECK int.pushed_ss, r3_frame+16, $SEL_UDATA
    CHECK int.stack_switch_esp0, r3_handler_esp, $(kstack2_top-20)
    movl r3_frame+8, %eax
    andl $(F_IOPL|0x2), %eax
    CHECK int.pushed_eflags, %eax, $0x2

# ---- trap gate keeps IF, interrupt gate clears it (6.12.1.3)
    IDT_SET 0x42, $h_gate, $G_TRAP32_U
    IDT_SET 0x43, $h_gate, $G_INT32_U
    sti                                   # all PIC lines are masked
    ENTER_RING3
    pushl $0x1234
    int $0x42
1:  popl %eax
    movl %esp, %ebx
    LEAVE_RING3
    cli
    movl gate_flags, %ecx
    andl $F_IF, %ecx
    CHECK trapgate.if_kept, %ecx, $F_IF
    CHECK trapgate.eip, gate_frame, $1b
    CHECK trapgate.cs, gate_frame+4, $SEL_UCODE
    movl gate_frame+8, %ecx
    andl $F_IF, %ecx
    CHECK trapgate.pushed_if, %ecx, $F_IF
    CHECK trapgate.esp, gate_frame+12, $(user_stack_top-4)
    CHECK trapgate.ss, gate_frame+16, $SEL_UDATA
    CHECK trapgate.handler_esp, gate_esp, $(kstack2_top-20)
    CHECK trapgate.user_stack_intact, %eax, $0x1234
    CHECK trapgate.iret_esp, %ebx, $user_stack_top
    sti
    ENTER_RING3
    int $0x43
    LEAVE_RING3
    cli
    movl gate_flags, %ecx
    andl $F_IF, %ecx
    CHECK intgate.if_cleared, %ecx, $0

# ---- call gate with 2 parameters, far RET $8 back to ring 3 (5.8.5, 5.8.6)
    CALLGATE_SET SEL_S0, $cg_target, $SEL_KCODE, $2
    ENTER_RING3
    pushl $0x1111
    pushl $0x2222
    lcall $(SEL_S0|3), $0
1:  movl %esp, %ebx
    movw %cs, %ax
    movzwl %ax, %eax
    LEAVE_RING3
    CHECK callgate.target_cs, sys_cs, $SEL_KCODE
    CHECK callgate.pushed_eip, gate_frame, $1b
    CHECK callgate.pushed_cs, gate_frame+4, $SEL_UCODE
    CHECK callgate.param_last, gate_frame+8, $0x2222
    CHECK callgate.param_first, gate_frame+12, $0x1111
    CHECK callgate.pushed_esp, gate_frame+16, $(user_stack_top-8)
    CHECK callgate.pushed_ss, gate_frame+20, $SEL_UDATA
    CHECK callgate.stack_esp0, gate_esp, $(kstack2_top-24)
    CHECK callgate.ret_releases_params, %ebx, $user_stack_top
    CHECK callgate.ret_cs, %eax, $SEL_UCODE
# call gate with DPL 0 from ring 3 -> #GP(selector)
    GATE_SET $(gdt+SEL_S1), $cg_target, $SEL_KCODE, $0x8C, $0
    ENTER_RING3
    TRY3 1f
2:  lcall $(SEL_S1|3), $0
1:  CHECK_EXC callgate.dpl0_from_ring3, $V_GP, $SEL_S1, $2b

# ---- far RET from ring 0 to ring 3: DS/ES with DPL < CPL become null (Vol.2 RET)
    movl %esp, ring0_esp
    movw $SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw $SEL_UDATA, %ax
    movw %ax, %fs
    pushl $SEL_UDATA
    pushl $(user_stack_top-64)
    pushl $SEL_UCODE
    pushl $1f
    lret
1:  movw %ds, %ax
    movzwl %ax, %eax
    movw %es, %bx
    movzwl %bx, %ebx
    movw %fs, %cx
    movzwl %cx, %ecx
    movl %esp, %edx
    LEAVE_RING3
    CHECK farret.ds_nulled, %eax, $0
    CHECK farret.es_nulled, %ebx, $0
    CHECK farret.fs_kept, %ecx, $SEL_UDATA
    CHECK farret.esp, %edx, $(user_stack_top-64)

# ---- IRET to ring 3 nulls data segment registers with DPL < CPL (Vol.2 IRET)
    movl %esp, ring0_esp
    movw $SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %gs
    movw $SEL_UDATA, %ax
    movw %ax, %es
    movw %ax, %fs
    pushl $SEL_UDATA
    pushl $user_stack_top
    pushl $0x2
    pushl $SEL_UCODE
    pushl $1f
    iretl
1:  movw %ds, %ax
    movzwl %ax, %eax
    movw %es, %bx
    movzwl %bx, %ebx
    movw %fs, %cx
    movzwl %cx, %ecx
    movw %gs, %dx
    movzwl %dx, %edx
    LEAVE_RING3
    CHECK iret.ds_nulled, %eax, $0
    CHECK iret.es_kept, %ebx, $SEL_UDATA
    CHECK iret.fs_kept, %ecx, $SEL_UDATA
    CHECK iret.gs_nulled, %edx, $0

# ---- segment checks at CPL 3
    ENTER_RING3
    movl $SEL_KDATA, %eax
    verr %ax
    setz %bl
    movl $SEL_UDATA, %eax
    verw %ax
    setz %bh
    movl $SEL_KCODE, %edx
    lar %edx, %eax
    setz %cl
    LEAVE_RING3
    movzbl %bl, %eax
    CHECK r3.verr_dpl0_zf, %eax, $0
    movzbl %bh, %eax
    CHECK r3.verw_dpl3_zf, %eax, $1
    movzbl %cl, %eax
    CHECK r3.lar_dpl0_zf, %eax, $0
    ENTER_RING3
    TRY3 1f
    movw $SEL_KDATA, %ax
2:  movw %ax, %ds
1:  CHECK_EXC r3.load_ds_dpl0, $V_GP, $SEL_KDATA, $2b
    CHECK r3.fault_pushed_esp, exc_esp3, $user_stack_top
    CHECK r3.fault_pushed_ss, exc_ss3, $SEL_UDATA

# ---- privileged instructions at CPL 3 -> #GP(0) (5.9)
    ENTER_RING3
    TRY3 1f
2:  lgdt gdt_desc
1:  CHECK_EXC r3.lgdt, $V_GP, $0, $2b
    ENTER_RING3
    TRY3 1f
2:  movl %eax, %cr3
1:  CHECK_EXC r3.mov_cr3, $V_GP, $0, $2b
    ENTER_RING3
    TRY3 1f
2:  clts
1:  CHECK_EXC r3.clts, $V_GP, $0, $2b
    ENTER_RING3
    movl $0x174, %ecx
    TRY3 1f
2:  rdmsr
1:  CHECK_EXC r3.rdmsr, $V_GP, $0, $2b
    ENTER_RING3
    TRY3 1f
2:  invlpg 0x1000
1:  CHECK_EXC r3.invlpg, $V_GP, $0, $2b

# ---- IOPL and the I/O permission bitmap (19.5.2): allow port 0x80 only
    andb $~0x01, main_tss+104+(0x80/8)
    ENTER_RING3
    TRY3 1f
    inb $0x80, %al
    outb %al, $0x80
    LEAVE_RING3
1:  CHECK_NOEXC io.bitmap_allows_0x80
    ENTER_RING3
    TRY3 1f
2:  inb $0x81, %al
1:  CHECK_EXC io.bitmap_denies_0x81, $V_GP, $0, $2b
    ENTER_RING3
    TRY3 1f
2:  inw $0x80, %ax                    # needs the bits of 0x80 and 0x81
1:  CHECK_EXC io.word_needs_both_bits, $V_GP, $0, $2b
    ENTER_RING3
    movw $0x3FD, %dx
    TRY3 1f
2:  inb %dx, %al
1:  CHECK_EXC io.dx_port_denied, $V_GP, $0, $2b
    orb $0x01, main_tss+104+(0x80/8)
    ENTER_RING3
    TRY3 1f
2:  outb %al, $0x80
1:  CHECK_EXC io.bitmap_reset_denies, $V_GP, $0, $2b
# IOPL 3: I/O allowed regardless of the bitmap; CLI allowed
    pushfl
    orl $F_IOPL, (%esp)
    popfl
    ENTER_RING3
    TRY3 1f
    inb $0x81, %al
    cli
    pushfl
    popl %ebx
    LEAVE_RING3
1:  CHECK_NOEXC io.iopl3_allows
    andl $F_IF, %ebx
    CHECK iopl3.cli_works, %ebx, $0
    pushfl
    andl $~F_IOPL, (%esp)
    popfl
# IOPL 0: CLI / STI fault at CPL 3
    ENTER_RING3
    TRY3 1f
2:  cli
1:  CHECK_EXC iopl0.cli, $V_GP, $0, $2b
    ENTER_RING3
    TRY3 1f
2:  sti
1:  CHECK_EXC iopl0.sti, $V_GP, $0, $2b

# ---- POPF at CPL 3 cannot change IOPL, nor IF when CPL > IOPL (Vol.2 POPF)
    sti
    ENTER_RING3
    TRY3 1f
    pushfl
    popl %eax
    andl $~F_IF, %eax
    orl $(F_IOPL|F_CF), %eax
    pushl %eax
    popfl
    pushfl
    popl %ebx
    LEAVE_RING3
1:  cli
    CHECK_NOEXC popf.r3_no_fault
    movl %ebx, %eax
    andl $F_IF, %eax
    CHECK popf.r3_if_unchanged, %eax, $F_IF
    movl %ebx, %eax
    andl $F_IOPL, %eax
    CHECK popf.r3_iopl_unchanged, %eax, $0
    movl %ebx, %eax
    andl $F_CF, %eax
    CHECK popf.r3_cf_changed, %eax, $F_CF
# CPL 0 can change IOPL
    pushfl
    orl $F_IOPL, (%esp)
    popfl
    pushfl
    popl %eax
    andl $F_IOPL, %eax
    CHECK popf.r0_iopl, %eax, $F_IOPL
    pushfl
    andl $~F_IOPL, (%esp)
    popfl

# ---- SYSENTER / SYSEXIT (Vol.2; CS from IA32_SYSENTER_CS, SS = CS+8; SYSEXIT CS+16|3, CS+24|3)
    movl $0x174, %ecx
    xorl %edx, %edx
    movl $SEL_KCODE, %eax
    wrmsr
    movl $0x175, %ecx
    movl $sysenter_stack_top, %eax
    wrmsr
    movl $0x176, %ecx
    movl $sysenter_entry, %eax
    wrmsr
    sti
    ENTER_RING3
    movl $1f, %edx
    movl %esp, %ecx
    subl $32, %ecx                       # return with a different ESP
    sysenter
1:  movw %cs, %ax
    movzwl %ax, %eax
    movw %ss, %bx
    movzwl %bx, %ebx
    movl %esp, %ecx
    pushfl
    popl %edx
    LEAVE_RING3
    cli
    CHECK sysenter.cs, sys_cs, $SEL_KCODE
    CHECK sysenter.ss, sys_ss, $SEL_KDATA
    CHECK sysenter.esp, sys_esp, $sysenter_stack_top
    movl sys_flags, %esi
    andl $F_IF, %esi
    CHECK sysenter.if_cleared, %esi, $0
    CHECK sysexit.cs, %eax, $SEL_UCODE
    CHECK sysexit.ss, %ebx, $SEL_UDATA
    CHECK sysexit.esp_from_ecx, %ecx, $(user_stack_top-32)
    andl $F_IF, %edx
    CHECK sysexit.if_not_restored, %edx, $0
    ENTER_RING3
    TRY3 1f
2:  sysexit
1:  CHECK_EXC sysexit.cpl3, $V_GP, $0, $2b
    movl $0x174, %ecx
    xorl %eax, %eax
    xorl %edx, %edx
    wrmsr
    ENTER_RING3
    TRY3 1f
2:  sysenter
1:  CHECK_EXC sysenter.cs_msr_zero, $V_GP, $0, $2b
    TRY 1f
2:  sysexit
1:  CHECK_EXC sysexit.cs_msr_zero, $V_GP, $0, $2b
    ret

# ---------------- handlers
# INT 0x42/0x43 from ring 3: record EFLAGS in the handler, the frame and ESP; IRET back
h_gate:
    pushfl
    popl %ss:gate_flags
    movl %esp, %ss:gate_esp
    pushl %eax
    movl 4(%esp), %eax
    movl %eax, %ss:gate_frame
    movl 8(%esp), %eax
    movl %eax, %ss:gate_frame+4
    movl 12(%esp), %eax
    movl %eax, %ss:gate_frame+8
    movl 16(%esp), %eax
    movl %eax, %ss:gate_frame+12
    movl 20(%esp), %eax
    movl %eax, %ss:gate_frame+16
    popl %eax
    iretl
# call gate target: frame EIP, CS, param2, param1, ESP, SS
cg_target:
    movl %esp, %ss:gate_esp
    pushl %eax
    movw %cs, %ax
    movzwl %ax, %eax
    movl %eax, %ss:sys_cs
    movl 4(%esp), %eax
    movl %eax, %ss:gate_frame
    movl 8(%esp), %eax
    movl %eax, %ss:gate_frame+4
    movl 12(%esp), %eax
    movl %eax, %ss:gate_frame+8
    movl 16(%esp), %eax
    movl %eax, %ss:gate_frame+12
    movl 20(%esp), %eax
    movl %eax, %ss:gate_frame+16
    movl 24(%esp), %eax
    movl %eax, %ss:gate_frame+20
    popl %eax
    lret $8
sysenter_entry:
    pushl %eax
    movw %cs, %ax
    movzwl %ax, %eax
    movl %eax, %ss:sys_cs
    movw %ss, %ax
    movzwl %ax, %eax
    movl %eax, %ss:sys_ss
    leal 4(%esp), %eax
    movl %eax, %ss:sys_esp
    pushfl
    popl %eax
    movl %eax, %ss:sys_flags
    popl %eax
    sysexit
