# v86: virtual-8086 mode without VME (CR4.VME=0). SDM Vol.3 ch.20.2-20.3: entering V86 by IRET
# with EFLAGS.VM=1 from CPL 0 (20.2.5), 8086 addressing (base = selector << 4, 20.2.1), IOPL-
# sensitive instructions CLI/STI/PUSHF/POPF/INT n/IRET -> #GP(0) when IOPL < 3 (20.2.7), I/O
# governed only by the TSS I/O permission bitmap (20.2.8.1, Vol.1 19.5.2), interrupts and
# exceptions through 32-bit gates to a DPL 0 nonconforming handler: GS/FS/DS/ES/SS/ESP/EFLAGS/
# CS/EIP pushed on the ring 0 stack and DS/ES/FS/GS nulled (20.3.1.1, Figure 20-5), gates
# to other code segments -> #GP(sel), INT n to a DPL<3 gate -> #GP(vec*8+2), INT3 is not
# IOPL-sensitive, HLT/MOV CR -> #GP(0), #PF with CR2 and the V86 segments in the frame, IRET
# from the handler back to V86 (Vol.2 IRET RETURN-TO-VIRTUAL-8086-MODE).
#
# The 16-bit code (v_blob) is copied to V_BASE (segment V_SEG). It stores results at fixed low
# addresses (R_*, read back by the PM side). Every V86 run ends with INT 31h (the exit gate) or
# with an exception that the lib's TRY recovery brings back to ring 0.
.include "lib.inc"
    .section .rodata
    .globl test_name
test_name: .asciz "v86"

.set F_VM,    0x20000
.set V_SEG,   0x2000
.set V_BASE,  0x20000
.set V_ES,    0x3000
.set V_FS,    0x3001
.set V_GS,    0x3002
.set V_SP,    0xFFF0
.set V_EXIT,  0x31                 # DPL 3 interrupt gate: leave V86 for good
.set V_REFL,  0x32                 # DPL 3 interrupt gate: handler IRETs back to V86
.set R_AREA,  0x28000              # result slots (linear), cleared before the runs
.set rnext, R_AREA
.macro RES name
    .set \name, rnext
    .set rnext, rnext+4
.endm
RES R_CS
RES R_SS
RES R_DS
RES R_ES
RES R_FS
RES R_GS
RES R_ALIAS
RES R_PUSHFL
RES R_CLI_FL
RES R_STI_FL
RES R_POPF_FL
RES R_POPF_IF
RES R_FC_CS
RES R_FC_BACK
RES R_IRET_OK
RES R_IRET_FL
RES R_I32_AX
RES R_I32_DS
RES R_I32_FS
RES R_IO_VAL
.set R_END, rnext

# store a 16-bit register/segment register, zero-extended, into result slot r (DS = V_SEG)
.macro VSAVE r, src
    pushl %eax
    movw \src, %ax
    movzwl %ax, %eax
    movl %eax, (\r - V_BASE)
    popl %eax
.endm

# V86_RUN entry, iopl : IRET from ring 0 into V86 at V_SEG:entry with DS=SS=V_SEG, ES/FS/GS =
# V_ES/V_FS/V_GS, SP=V_SP; continues after the macro when V86 code does INT V_EXIT or takes an
# exception (then exc_* describe it; check it with CHECK_EXC, which disarms).
.macro V86_RUN entry, iopl
    movl %esp, ring0_esp
    movl $.Lvc\@, v86_cont
    TRY .Lvc\@
    pushl $V_GS
    pushl $V_FS
    pushl $V_SEG
    pushl $V_ES
    pushl $V_SEG
    pushl $V_SP
    pushl $(F_VM | (\iopl << 12) | 2)
    pushl $V_SEG
    pushl $(\entry - v_blob)
    iretl
.Lvc\@:
.endm

    .data
v86_cont:   .long 0
v86_eax:    .long 0
v86_frame:  .long 0,0,0,0,0,0,0,0,0    # EIP CS EFLAGS ESP SS ES DS FS GS as pushed
h_ds:       .long 0
h_es:       .long 0
h_fs:       .long 0
h_gs:       .long 0
h_cs:       .long 0
h_esp:      .long 0
h_eflags:   .long 0
refl_n:     .long 0
    .bss
    .align 4096
page_dir:   .skip 4096
page_tab:   .skip 4096

    .text
    .globl test_main
test_main:
    cld
    movl $v_blob, %esi
    movl $V_BASE, %edi
    movl $(v_blob_end - v_blob), %ecx
    rep movsb
    movl $R_AREA, %edi
    movl $((R_END - R_AREA) / 4), %ecx
    xorl %eax, %eax
    rep stosl
    movl $0, 0x30040
    IDT_SET V_EXIT, $v86_exit, $G_INT32_U
    IDT_SET V_REFL, $v86_reflect, $G_INT32_U

# ---- A. IOPL 3: addressing, IOPL-sensitive instructions allowed, INT n through the IDT
    V86_RUN v_basic, 3
    CHECK_NOEXC a.no_exception
    CHECK a.cs, R_CS, $V_SEG
    CHECK a.ss, R_SS, $V_SEG
    CHECK a.ds, R_DS, $V_SEG
    CHECK a.es, R_ES, $V_ES
    CHECK a.fs, R_FS, $V_FS
    CHECK a.gs, R_GS, $V_GS
    CHECK a.seg_alias_3001_0, R_ALIAS, $0xBEEF
    movzwl 0x30040, %eax
    CHECK a.seg_linear_3002_20, %eax, $0x4444
    movl R_PUSHFL, %eax
    andl $(F_VM|F_RF|F_IOPL), %eax
    CHECK a.pushfd_image_vm_rf_clear, %eax, $F_IOPL
    movl R_CLI_FL, %eax
    andl $F_IF, %eax
    CHECK a.cli_iopl3, %eax, $0
    movl R_STI_FL, %eax
    andl $F_IF, %eax
    CHECK a.sti_iopl3, %eax, $F_IF
    movl R_POPF_FL, %eax
    andl $(F_IOPL|F_IF), %eax
    CHECK a.popf_keeps_iopl, %eax, $F_IOPL
    movl R_POPF_IF, %eax
    andl $F_IF, %eax
    CHECK a.popf_sets_if, %eax, $F_IF
    CHECK a.farcall_cs, R_FC_CS, $(V_SEG+0x10)
    CHECK a.farret_cs, R_FC_BACK, $V_SEG
    CHECK a.iret16_in_v86, R_IRET_OK, $1
    movl R_IRET_FL, %eax
    andl $F_IOPL, %eax
    CHECK a.iret16_keeps_iopl, %eax, $F_IOPL
    CHECK a.reflect.count, refl_n, $1
    CHECK a.reflect.ax, R_I32_AX, $0x4321
    CHECK a.reflect.ds_restored, R_I32_DS, $V_SEG
    CHECK a.reflect.fs_from_frame, R_I32_FS, $0x3005
# the exit through the DPL 3 interrupt gate (20.3.1.1, Figure 20-5)
    CHECK a.exit.eax, v86_eax, $0x1234
    CHECK a.exit.pushed_eip, v86_frame, $(v_basic_exit - v_blob)
    CHECK a.exit.pushed_cs, v86_frame+4, $V_SEG
    movl v86_frame+8, %eax
    andl $(F_VM|F_IOPL), %eax
    CHECK a.exit.pushed_eflags_vm, %eax, $(F_VM|F_IOPL)
    CHECK a.exit.pushed_esp, v86_frame+12, $V_SP
    CHECK a.exit.pushed_ss, v86_frame+16, $V_SEG
    CHECK a.exit.pushed_es, v86_frame+20, $V_ES
    CHECK a.exit.pushed_ds, v86_frame+24, $V_SEG
    CHECK a.exit.pushed_fs, v86_frame+28, $0x3005
    CHECK a.exit.pushed_gs, v86_frame+32, $V_GS
    CHECK a.exit.handler_ds_null, h_ds, $0
    CHECK a.exit.handler_es_null, h_es, $0
    CHECK a.exit.handler_fs_null, h_fs, $0
    CHECK a.exit.handler_gs_null, h_gs, $0
    CHECK a.exit.handler_cs, h_cs, $SEL_KCODE
    CHECK a.exit.handler_esp0, h_esp, $(kstack2_top-36)
    movl h_eflags, %eax
    andl $(F_VM|F_IF), %eax
    CHECK a.exit.handler_vm_if_clear, %eax, $0

# ---- B/C. INT n with IOPL 3: gate DPL < 3 -> #GP(vec*8+2); target code DPL != 0 -> #GP(sel)
    V86_RUN v_int33, 3
    CHECK_EXC b.int_dpl0_gate, $V_GP, $(0x33*8+2), $(v_int33 - v_blob)
    GATE_SET $(idt+8*0x34), $v86_exit, $SEL_UCODE, $G_INT32_U, $0
    V86_RUN v_int34, 3
    CHECK_EXC c.int_gate_to_dpl3_code, $V_GP, $(SEL_UCODE & 0xFFFC), $(v_int34 - v_blob)
    IDT_RESET 0x34

# ---- D-J. IOPL < 3: INT n, CLI, STI, PUSHF, POPF, IRET -> #GP(0) (20.2.7)
    V86_RUN v_basic_exit_int, 0
    CHECK_EXC d.int_iopl0, $V_GP, $0, $(v_basic_exit_int - v_blob)
    movl exc_eflags, %eax
    andl $(F_VM|F_IOPL), %eax
    CHECK d.saved_eflags_vm, %eax, $F_VM
    CHECK d.saved_cs, exc_cs, $V_SEG
    CHECK d.saved_esp, exc_esp3, $V_SP
    CHECK d.saved_ss, exc_ss3, $V_SEG
    movl exc_handler_esp, %ebx
    CHECK d.saved_es, 20(%ebx), $V_ES
    CHECK d.saved_ds, 24(%ebx), $V_SEG
    CHECK d.saved_fs, 28(%ebx), $V_FS
    CHECK d.saved_gs, 32(%ebx), $V_GS
    CHECK d.handler_ds_null, exc_ds, $0
    V86_RUN v_cli, 0
    CHECK_EXC e.cli_iopl0, $V_GP, $0, $(v_cli - v_blob)
    V86_RUN v_sti, 0
    CHECK_EXC f.sti_iopl0, $V_GP, $0, $(v_sti - v_blob)
    V86_RUN v_pushf, 0
    CHECK_EXC g.pushf_iopl0, $V_GP, $0, $(v_pushf - v_blob)
    V86_RUN v_popf, 0
    CHECK_EXC h.popf_iopl0, $V_GP, $0, $(v_popf_insn - v_blob)
    V86_RUN v_iret, 0
    CHECK_EXC i.iret_iopl0, $V_GP, $0, $(v_iret_insn - v_blob)
    V86_RUN v_cli, 2
    CHECK_EXC j.cli_iopl2, $V_GP, $0, $(v_cli - v_blob)

# ---- K. INT3 is not IOPL-sensitive: it goes to the IDT (DPL 0 gate -> #GP(3*8+2))
    V86_RUN v_int3, 0
    CHECK_EXC k.int3_dpl0_gate, $V_GP, $(3*8+2), $(v_int3 - v_blob)
    IDT_SET V_BP, $(exc_stubs+16*V_BP), $G_INT32_U
    V86_RUN v_int3, 0
    CHECK_EXC k.int3_dpl3_gate_iopl0, $V_BP, $0, $(v_int3 - v_blob + 1)
    IDT_RESET V_BP

# ---- L. I/O: the I/O permission bitmap decides in V86, not IOPL (20.2.8.1)
    V86_RUN v_in_3ff, 3
    CHECK_EXC l.in_denied_iopl3, $V_GP, $0, $(v_in_insn - v_blob)
    andb $~0x80, main_tss+104+(0x3FF>>3)   # permit port 0x3FF (COM1 scratch)
    V86_RUN v_io_ok, 0
    CHECK_EXC l.word_in_3ff_400_denied, $V_GP, $0, $(v_inw_insn - v_blob)
    CHECK l.out_in_permitted_iopl0, R_IO_VAL, $0x5A
    orb $0x80, main_tss+104+(0x3FF>>3)

# ---- M/N. HLT and MOV from CR0 -> #GP(0)
    V86_RUN v_hlt, 3
    CHECK_EXC m.hlt, $V_GP, $0, $(v_hlt - v_blob)
    V86_RUN v_movcr, 3
    CHECK_EXC n.mov_from_cr0, $V_GP, $0, $(v_movcr - v_blob)
    movl exc_eflags, %eax
    andl $F_VM, %eax
    CHECK n.saved_eflags_vm, %eax, $F_VM
# protected-mode-only instructions are #UD in V86 (Vol.2 ARPL, SLDT, LAR: "not recognized")
    V86_RUN v_arpl, 3
    CHECK_EXC n.arpl_ud, $V_UD, $ANY, $(v_arpl - v_blob)
    V86_RUN v_sldt, 3
    CHECK_EXC n.sldt_ud, $V_UD, $ANY, $(v_sldt - v_blob)
    V86_RUN v_lar, 3
    CHECK_EXC n.lar_ud, $V_UD, $ANY, $(v_lar - v_blob)
# the 64 KiB limit of V86 segments (20.2.1): a word at offset 0xFFFF -> #GP(0)
    QUIRK noseglimit, n.word_at_ffff_gp, 1f
    V86_RUN v_lim, 3
    CHECK_EXC n.word_at_ffff_gp, $V_GP, $0, $(v_lim - v_blob)
1:
# ---- P. SYSENTER from V86 (Vol.2 SYSENTER: clears VM, IF, RF; DS etc. untouched)
    movl $0x174, %ecx
    xorl %edx, %edx
    movl $SEL_KCODE, %eax
    wrmsr
    movl $0x175, %ecx
    movl $(kstack2_top-64), %eax
    wrmsr
    movl $0x176, %ecx
    movl $v86_sysenter, %eax
    wrmsr
    movl $0, h_cs
    V86_RUN v_sysenter, 3
    CHECK_NOEXC p.sysenter.no_exception
    CHECK p.sysenter.cs, h_cs, $SEL_KCODE
    CHECK p.sysenter.esp, h_esp, $(kstack2_top-64)
    movl h_eflags, %eax
    andl $(F_VM|F_IF), %eax
    CHECK p.sysenter.vm_if_clear, %eax, $0
    CHECK p.sysenter.ds_kept, h_ds, $V_SEG
    CHECK p.sysenter.es_kept, h_es, $V_ES
    movl $0x174, %ecx
    xorl %eax, %eax
    xorl %edx, %edx
    wrmsr

# ---- O. #PF from V86 (paging on, page 0x50000 not present): CR2, U/S=1 error, V86 frame
    movl $page_tab, %edi
    movl $0x7, %eax                # identity map of 0-4 MiB, user, writable
    movl $1024, %ecx
1:  stosl
    addl $0x1000, %eax
    loop 1b
    movl $0, page_tab+4*0x50
    movl $page_tab, %eax
    orl $0x7, %eax
    movl %eax, page_dir
    movl $page_dir, %eax
    movl %eax, %cr3
    movl %cr0, %eax
    orl $0x80000000, %eax
    movl %eax, %cr0
    V86_RUN v_pf, 3
    movl %cr0, %eax
    andl $0x7FFFFFFF, %eax
    movl %eax, %cr0
    CHECK_EXC o.pf, $V_PF, $0x4, $(v_pf_insn - v_blob)
    CHECK o.cr2, exc_cr2, $0x50010
    movl exc_eflags, %eax
    andl $F_VM, %eax
    CHECK o.saved_eflags_vm, %eax, $F_VM
    CHECK o.saved_cs, exc_cs, $V_SEG
    movl exc_handler_esp, %ebx
    CHECK o.saved_ds, 24(%ebx), $0x5000
    CHECK o.saved_es, 20(%ebx), $V_ES
    ret

# ---- ring 0 handlers
# INT V_EXIT from V86: record the frame and the segment registers, back to the test flow
v86_exit:
    movl %eax, %ss:v86_eax
    movw %ds, %ax
    movzwl %ax, %eax
    movl %eax, %ss:h_ds
    movw %es, %ax
    movzwl %ax, %eax
    movl %eax, %ss:h_es
    movw %fs, %ax
    movzwl %ax, %eax
    movl %eax, %ss:h_fs
    movw %gs, %ax
    movzwl %ax, %eax
    movl %eax, %ss:h_gs
    movw %cs, %ax
    movzwl %ax, %eax
    movl %eax, %ss:h_cs
    movl %esp, %ss:h_esp
    pushfl
    popl %ss:h_eflags
    movw $SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movl %esp, %esi
    movl $v86_frame, %edi
    movl $9, %ecx
    cld
    rep movsl
    DISARM
    movl ring0_esp, %esp
    jmp *v86_cont

# SYSENTER target: same records as v86_exit (h_esp is the ESP from the MSR)
v86_sysenter:
    movl %esp, %ss:h_esp
    pushfl
    popl %ss:h_eflags
    movw %ds, %ax
    movzwl %ax, %eax
    movl %eax, %ss:h_ds
    movw %es, %ax
    movzwl %ax, %eax
    movl %eax, %ss:h_es
    movw %cs, %ax
    movzwl %ax, %eax
    movl %eax, %ss:h_cs
    movw $SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    DISARM
    movl ring0_esp, %esp
    jmp *v86_cont

# INT V_REFL from V86: what a V86 monitor does, then IRET back to V86 with the saved FS changed
v86_reflect:
    incl %ss:refl_n
    movl $0x4321, %eax
    movl $0x3005, %ss:28(%esp)     # saved FS (frame: EIP CS EFLAGS ESP SS ES DS FS GS)
    iretl

# =====================================================================================
# V86 code (copied to V_BASE)
# =====================================================================================
    .data
    .balign 16
v_blob:
    .code16
v_basic:
    VSAVE R_CS, %cs
    VSAVE R_SS, %ss
    VSAVE R_DS, %ds
    VSAVE R_ES, %es
    VSAVE R_FS, %fs
    VSAVE R_GS, %gs
    movw $0xBEEF, %es:0x10          # 3000:0010 = linear 0x30010
    movw %fs:0, %ax                 # 3001:0000 = the same byte
    VSAVE R_ALIAS, %ax
    movw $0x4444, %gs:0x20          # 3002:0020 = linear 0x30040
    pushfl
    popl %eax
    movl %eax, (R_PUSHFL - V_BASE)
    cli
    pushfw
    popw %ax
    VSAVE R_CLI_FL, %ax
    sti
    pushfw
    popw %ax
    VSAVE R_STI_FL, %ax
    cli
    pushw $0                        # IOPL 0, IF 0: POPF in V86 does not change IOPL
    popfw
    pushfw
    popw %ax
    VSAVE R_POPF_FL, %ax
    pushw $F_IF
    popfw
    pushfw
    popw %ax
    VSAVE R_POPF_IF, %ax
    cli
    lcall $(V_SEG+0x10), $(v_fc_target - v_blob - 0x100)
    VSAVE R_FC_BACK, %cs
    pushw $0                        # 16-bit IRET inside V86 (IOPL 3): FLAGS, CS, IP
    pushw %cs
    pushw $(v_iret_ok - v_blob)
    iretw
    jmp v_basic_exit_int
v_iret_ok:
    movw $1, (R_IRET_OK - V_BASE)
    pushfw
    popw %ax
    VSAVE R_IRET_FL, %ax
    movw $0x1111, %ax
    int $V_REFL                     # handled in ring 0, IRET back here
    VSAVE R_I32_AX, %ax
    VSAVE R_I32_DS, %ds
    VSAVE R_I32_FS, %fs
    movw $0x1234, %ax
v_basic_exit_int:
    int $V_EXIT
v_basic_exit:
    hlt                             # not reached
v_fc_target:
    VSAVE R_FC_CS, %cs
    lret
v_int33:
    int $0x33
v_int34:
    int $0x34
v_cli:
    cli
v_sti:
    sti
v_pushf:
    pushfw
v_popf:
    pushw $0
v_popf_insn:
    popfw
v_iret:
    pushw $0
    pushw %cs
    pushw $0
v_iret_insn:
    iretw
v_int3:
    int3
    int $V_EXIT
v_in_3ff:
    movw $0x3FF, %dx
v_in_insn:
    inb %dx, %al
v_io_ok:
    movw $0x3FF, %dx
    movb $0x5A, %al
    outb %al, %dx
    xorb %al, %al
    inb %dx, %al
    VSAVE R_IO_VAL, %ax
v_inw_insn:
    inw %dx, %ax                    # ports 0x3FF and 0x400: 0x400 is denied
v_hlt:
    hlt
v_movcr:
    movl %cr0, %eax
v_arpl:
    arpl %ax, %bx
v_sldt:
    sldt %ax
v_lar:
    larw %ax, %bx
v_lim:
    movw (0xFFFF), %ax
v_sysenter:
    sysenter
v_pf:
    movw $0x5000, %ax
    movw %ax, %ds
v_pf_insn:
    movb (0x10), %al
    .code32
v_blob_end:
