# realmode: leave protected mode the SDM way (Vol.3 9.9.2), run checks in real-address mode,
# come back (9.9.1). SDM Vol.3 ch.20.1 (real-address mode: base = selector << 4, 16-bit offsets,
# IVT at IDTR, exceptions and interrupts push FLAGS/CS/IP and clear IF/TF/AC, 20.1.4), Vol.1
# 3.6 (operand/address-size prefixes), Vol.2 CALL/RET/JMP far, INT n/IRET, string instructions,
# PUSHA/POPA, Vol.3 17.3.1.4 (single step). "Unreal" mode: a real-mode segment load changes only
# the selector and base; the descriptor cache keeps the limit loaded in protected mode (9.9.2
# requires 64 KiB limits because of exactly this; QEMU and hardware keep the big limit).
#
# The 16-bit code and its data form one blob (rm_blob..rm_blob_end, in .data) that is copied to
# RM_BASE (segment RM_SEG) before each trip and copied back after, so the PM side reads the
# results at their link addresses. Inside the blob, (x - rm_blob) is x's offset in RM_SEG.
# Every real-mode vector starts at a recording stub (RM_TRY/recover as TRY does in PM); an
# exception with no RM_TRY armed returns to protected mode and ends the test with code 127.
.include "lib.inc"
    .section .rodata
    .globl test_name
test_name: .asciz "realmode"

.set RM_SEG,   0x2000
.set RM_BASE,  0x20000
.set RM_SP,    0xFFF0
.set SEL_C16,  SEL_S0             # 16-bit code, base RM_BASE, limit 0xFFFF (9.9.2 step 3)
.set SEL_D16,  SEL_S1             # 16-bit data, base RM_BASE, limit 0xFFFF (9.9.2 step 4)
.set SEL_BIG,  SEL_S2             # data, base 0, limit 4 GiB (unreal trip)
.set UNREAL_LIN, 0x300000         # above 1 MiB, in RAM

# offset of blob label x inside RM_SEG
.macro RSAVE dst, src=%eax        # 32-bit store of a register into a blob variable (DS = RM_SEG)
    movl \src, (\dst - rm_blob)
.endm
.macro RSAVEW dst, src            # 16-bit register or segment register, zero-extended
    pushl %eax
    movw \src, %ax
    movzwl %ax, %eax
    movl %eax, (\dst - rm_blob)
    popl %eax
.endm
.macro RM_TRY label
    movw $(\label - rm_blob), %cs:(rm_recover - rm_blob)
    movw %sp, %cs:(rm_recover_sp - rm_blob)
    movw $0xFFFF, %cs:(rm_vec - rm_blob)
    movw $0xFFFF, %cs:(rm_ip - rm_blob)
.endm
# copy the recorded exception (vector, IP) into two blob variables
.macro RM_SAVEEXC vdst, ipdst
    RSAVEW \vdst, %cs:(rm_vec - rm_blob)
    RSAVEW \ipdst, %cs:(rm_ip - rm_blob)
.endm

    .data
pm_esp:     .long 0

    .text
    .globl test_main
test_main:
    GDT_SET $SEL_C16, $RM_BASE, $0xFFFF, $A_CODE16
    GDT_SET $SEL_D16, $RM_BASE, $0xFFFF, $0x0092
    GDT_SET $SEL_BIG, $0, $0xFFFFF, $0x8092
    movl $0x13579BDF, UNREAL_LIN
    movl $0, UNREAL_LIN+4
    movl $0, %eax
    call run_real_mode
    PRINT "back in protected mode (normal trip)\n"
    movw %cs, %ax
    movzwl %ax, %eax
    CHECK pm.cs_after_return, %eax, $SEL_KCODE

# ---- entry state (9.9.2): PE clear, CS = RM_SEG, IDTR = IVT at 0
    movl r_cr0, %eax
    andl $1, %eax
    CHECK rm.cr0_pe_clear, %eax, $0
    CHECK rm.cs, r_cs, $RM_SEG
    CHECK rm.ss, r_ss, $RM_SEG
    CHECK rm.sidt_limit, r_sidt, $0x3FF
    CHECK rm.sidt_base, r_sidt+2, $0

# ---- segment arithmetic (20.1.1): linear = selector * 16 + offset
    CHECK rm.seg.alias_3001_0, r_alias, $0x1234
    movzwl 0x30020, %eax
    CHECK rm.seg.linear_2fff_30, %eax, $0xBEEF
    CHECK rm.seg.offset_wrap, r_wrap, $0x5A
    CHECK rm.seg.lea_wrap, r_leawrap, $0xABCD0001
    QUIRK noseglimit, rm.seg.word_at_ffff_gp, 1f
    CHECK rm.seg.word_at_ffff_gp.vector, r_gp_vec, $V_GP
    CHECK rm.seg.word_at_ffff_gp.ip, r_gp_ip, $(rm_gp_insn - rm_blob)
1:
# ---- far CALL/RET/JMP
    CHECK rm.farcall.target_cs, r_fc_cs, $(RM_SEG+0x10)
    CHECK rm.farcall.pushed_ip, r_fc_ip, $(rm_fc_ret - rm_blob)
    CHECK rm.farcall.pushed_cs, r_fc_pcs, $RM_SEG
    CHECK rm.farcall.cs_after_ret, r_fc_cs2, $RM_SEG
    CHECK rm.farcall.sp_restored, r_fc_sp, $0
    CHECK rm.farjmp.target_cs, r_fj_cs, $(RM_SEG+0x10)
    CHECK rm.farjmp.back_cs, r_fj_cs2, $RM_SEG
    CHECK rm.farcall_mem.target_cs, r_fm_cs, $(RM_SEG+0x20)
    CHECK rm.retf_imm.sp, r_fm_sp, $0
    CHECK rm.farcall32.pushed_eip, r_f32_ip, $(rm_f32_ret - rm_blob)
    movl r_f32_cs, %eax
    andl $0xFFFF, %eax
    CHECK rm.farcall32.pushed_cs, %eax, $RM_SEG
    CHECK rm.farcall32.frame_size, r_f32_sz, $8
    CHECK rm.farcall32.sp_restored, r_f32_sp, $0

# ---- INT n through the IVT, IRET (20.1.4, Vol.2 INT n real-address mode)
    CHECK rm.int.handler_ax, r_int_ax, $0x1111
    CHECK rm.int.pushed_ip, r_int_ip, $(rm_int_ret - rm_blob)
    CHECK rm.int.pushed_cs, r_int_cs, $RM_SEG
    movl r_int_pfl, %eax
    andl $F_IF, %eax
    CHECK rm.int.pushed_if, %eax, $F_IF
    movl r_int_hfl, %eax
    andl $(F_IF|F_TF), %eax
    CHECK rm.int.handler_if_tf_clear, %eax, $0
    CHECK rm.int.frame_size, r_int_sz, $6
    CHECK rm.iret.ax, r_int_ax2, $0x2222
    movl r_int_fl2, %eax
    andl $F_IF, %eax
    CHECK rm.iret.if_restored, %eax, $F_IF
    CHECK rm.iret.sp_restored, r_int_sp, $0
# single step through the IVT (17.3.1.4): trap after the instruction following POPF
    CHECK rm.db.count, r_db_n, $1
    CHECK rm.db.pushed_ip, r_db_ip, $(rm_ss_after - rm_blob)
    movl r_db_pfl, %eax
    andl $F_TF, %eax
    CHECK rm.db.pushed_tf, %eax, $F_TF
    movl r_db_hfl, %eax
    andl $F_TF, %eax
    CHECK rm.db.handler_tf_clear, %eax, $0
    movl r_db_fl2, %eax
    andl $F_TF, %eax
    CHECK rm.db.tf_after_iret, %eax, $0
# INT3 / INT 3 are traps, #DE is a fault
    CHECK rm.int3.vector, r_i3_vec, $V_BP
    CHECK rm.int3.ip, r_i3_ip, $(rm_i3_after - rm_blob)
    CHECK rm.int_3.vector, r_i3b_vec, $V_BP
    CHECK rm.int_3.ip, r_i3b_ip, $(rm_i3b_after - rm_blob)
    CHECK rm.de.vector, r_de_vec, $V_DE
    CHECK rm.de.ip, r_de_ip, $(rm_de_insn - rm_blob)
    CHECK rm.de.frame_cs, r_de_cs, $RM_SEG

    CHECK rm.lidt_relocated_ivt, r_int41_n, $1
    CHECK rm.ivt_limit.vector, r_i50_vec, $V_GP
    CHECK rm.ivt_limit.ip, r_i50_ip, $(rm_int50_insn - rm_blob)
    CHECK rm.sp_wrap.sp, r_spw_sp, $0xFFFE
    CHECK rm.sp_wrap.value, r_spw_val, $0x1357

# ---- operand- and address-size prefixes (Vol.1 3.6)
    CHECK rm.p66.mov_eax, r_p66_eax, $0x12345678
    CHECK rm.p66.add_carry, r_p66_add, $0x00010000
    CHECK rm.p67.load, r_p67_ld, $0xCAFEBABE
    CHECK rm.p67.sib, r_p67_sib, $0x0BADF00D
    CHECK rm.p66.pushl_size, r_p66_psz, $4
    CHECK rm.p66.pushl_low, r_p66_plo, $0xCDEF
    CHECK rm.p66.pushl_high, r_p66_phi, $0x89AB
    CHECK rm.p66.iretl_sp, r_iretl_sp, $0
    CHECK rm.p66.iretl_ip, r_iretl_ok, $1
    QUIRK noseglimit, rm.p67.beyond_limit_gp, 1f
    CHECK rm.p67.beyond_limit_gp.vector, r_p67gp_vec, $V_GP
    CHECK rm.p67.beyond_limit_gp.ip, r_p67gp_ip, $(rm_p67gp_insn - rm_blob)
1:
# ---- string instructions with 16-bit SI/DI/CX (Vol.2 MOVS/STOS/CMPS: address size 16)
    CHECK rm.movsb.esi, r_s_esi, $0xABCD0002
    CHECK rm.movsb.edi, r_s_edi, $0x56780104
    CHECK rm.movsb.ecx, r_s_ecx, $0x9ABC0000
    movl 0x40100, %eax
    CHECK rm.movsb.data_wrapped, %eax, $0x44434241
    CHECK rm.stosw_std.di, r_st_di, $0x000A
    movl 0x4000C, %eax
    CHECK rm.stosw_std.data, %eax, $0x77777777
    movzwl 0x40010, %eax
    CHECK rm.stosw_std.data_first, %eax, $0x7777
    movzwl 0x4000A, %eax
    CHECK rm.stosw_std.untouched, %eax, $0
    CHECK rm.repe_cmpsb.cx, r_cmp_cx, $2
    CHECK rm.repe_cmpsb.di, r_cmp_di, $0x0102
# ---- PUSHA/POPA, 16-bit (Vol.2 PUSHA)
    CHECK rm.pusha.frame_sp, r_pa_sp, $(RM_SP-0x20)
    CHECK rm.pusha.frame_ax, r_pa_ax, $0xA1A1
    CHECK rm.pusha.frame_di, r_pa_di, $0xD1D1
    CHECK rm.pusha.size, r_pa_sz, $16
    CHECK rm.popa.eax, r_pa_eax, $0xFEED5A5A
    CHECK rm.popa.ebp, r_pa_ebp, $0xBEEF4B4B
    CHECK rm.popa.sp, r_pa_sp2, $(RM_SP-0x20)

# ---- "unreal" trip: DS loaded with a 4 GiB descriptor in PM before clearing PE
    movl $1, %eax
    call run_real_mode
    PRINT "back in protected mode (unreal trip, left real mode from CS=2001)\n"
    CHECK unreal.read_above_1m, r_ur_rd, $0x13579BDF
    CHECK unreal.write_above_1m, UNREAL_LIN+4, $0x2468ACE0
    CHECK unreal.second_reload, r_ur_rd2, $0x13579BDF
    CHECK unreal.ds_selector, r_ur_ds, $0x1000
    QUIRK noseglimit, unreal.es_limit_64k_gp, 1f
    CHECK unreal.es_limit_64k_gp, r_ur_es_vec, $V_GP
1:  ret

# run_real_mode(eax = trip: 0 normal, 1 unreal): copy the blob down, build the IVT, leave PM,
# run the trip, come back, copy the blob (with its results) back. Preserves all registers.
run_real_mode:
    pushal
    movl %eax, rm_mode
    cld
    movl $rm_blob, %esi
    movl $RM_BASE, %edi
    movl $(rm_blob_end - rm_blob), %ecx
    rep movsb
    xorl %ecx, %ecx                # IVT: vector n -> RM_SEG:stub n (20.1.4: 4-byte entries at 0)
1:  leal (rm_stubs - rm_blob)(,%ecx,8), %eax
    orl $(RM_SEG << 16), %eax
    movl %eax, (,%ecx,4)
    incl %ecx
    cmpl $256, %ecx
    jne 1b
    movl %esp, pm_esp
    cli
    ljmp $SEL_C16, $(rm_entry16 - rm_blob)
pm_back:
    movw $SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl pm_esp, %esp
    lidt idt_desc
    cld
    movl $RM_BASE, %esi
    movl $rm_blob, %edi
    movl $(rm_blob_end - rm_blob), %ecx
    rep movsb
    cmpw $0, rm_unexp
    jne 2f
    popal
    ret
2:  PRINT "FAIL unexpected real-mode exception vector "
    movzwl rm_vec, %eax
    PRINTHEX %eax
    PRINT " at "
    movzwl rm_cs, %eax
    PRINTHEX %eax
    PRINT ":"
    movzwl rm_ip, %eax
    PRINTHEX %eax
    PRINT "\n"
    incl checks_failed
    EXIT $127

# =====================================================================================
# the real-mode blob (copied to RM_BASE; runs as 16-bit code)
# =====================================================================================
    .data
    .balign 16
rm_blob:
    .code16
# 16-bit protected mode, CS = SEL_C16 (base RM_BASE), still PE=1 (9.9.2 steps 3-7)
rm_entry16:
    movw $SEL_D16, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    cmpb $1, %cs:(rm_mode - rm_blob)
    jne 1f
    movw $SEL_BIG, %ax
    movw %ax, %ds                  # unreal trip: DS gets a 4 GiB limit
1:  lidt %cs:(rm_ivt_desc - rm_blob)
    movl %cr0, %eax
    andl $~1, %eax
    movl %eax, %cr0                # PE = 0
    ljmp $RM_SEG, $(rm_real - rm_blob)
rm_real:
    movw $RM_SEG, %ax              # 9.9.2 step 8: real-mode segment values
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl $RM_SP, %esp
    cmpb $1, (rm_mode - rm_blob)
    jne rm_tests
    jmp rm_unreal

# ---- back to protected mode (9.9.1): PE = 1, far jump to a 32-bit code selector
rm_done:
    cli
    cmpb $1, %cs:(rm_mode - rm_blob)
    jne rm_done2
    ljmp $(RM_SEG+1), $(rm_done2 - rm_blob - 0x10)
rm_done2:                          # CS = RM_SEG or RM_SEG+1: CPL stays 0 until the far jump
    movw $RM_SEG, %ax
    movw %ax, %ds
    lidtl (rm_pm_idt_desc - rm_blob)
    movl %cr0, %eax
    orb $1, %al
    movl %eax, %cr0
    ljmpl $SEL_KCODE, $pm_back

# ---- exception/interrupt recording (all 256 IVT entries point at these stubs)
    .balign 8
rm_stubs:
    .set vec, 0
    .rept 256
    .balign 8
    pushw $vec
    jmp rm_common
    .set vec, vec+1
    .endr
rm_common:                         # stack: vector, IP, CS, FLAGS
    pushw %bp
    movw %sp, %bp
    pushw %ax
    movw 2(%bp), %ax
    movw %ax, %cs:(rm_vec - rm_blob)
    movw 4(%bp), %ax
    movw %ax, %cs:(rm_ip - rm_blob)
    movw 6(%bp), %ax
    movw %ax, %cs:(rm_cs - rm_blob)
    movw 8(%bp), %ax
    movw %ax, %cs:(rm_fl - rm_blob)
    popw %ax
    popw %bp
    cmpw $0, %cs:(rm_recover - rm_blob)
    je rm_unexpected
    movw $RM_SEG, %ax
    movw %ax, %ss
    movw %cs:(rm_recover_sp - rm_blob), %sp
    movw %ax, %ds
    movw %ax, %es
    pushw %cs:(rm_recover - rm_blob)
    movw $0, %cs:(rm_recover - rm_blob)
    ret
rm_unexpected:
    movw $1, %cs:(rm_unexp - rm_blob)
    movw $RM_SEG, %ax
    movw %ax, %ss
    movw $RM_SP, %sp
    jmp rm_done

# ---- the normal trip
rm_tests:
    movl %cr0, %eax
    RSAVE r_cr0
    RSAVEW r_cs, %cs
    RSAVEW r_ss, %ss
    sidt (r_sidt - rm_blob)

# segment arithmetic (20.1.1)
    movw $0x3000, %ax
    movw %ax, %es
    movw $0x1234, %es:0x10          # linear 0x30010
    movw $0x3001, %ax
    movw %ax, %fs
    movw %fs:0, %ax                 # 0x3001:0 = 0x30010
    RSAVEW r_alias, %ax
    movw $0x2FFF, %ax
    movw %ax, %gs
    movw $0xBEEF, %gs:0x30          # linear 0x30020
    movb $0x5A, %es:1               # 0x30001
    movw $0x4000, %ax
    movw %ax, %fs
    movb $0xA5, %fs:1               # 0x40001: where a 17-bit offset would go
    movw $0xFFFF, %bx
    movb %es:2(%bx), %al            # 16-bit effective address wraps to 0x0001
    xorb %ah, %ah
    RSAVEW r_wrap, %ax
    movl $0xABCD0000, %eax
    leaw 2(%bx), %ax                # 16-bit LEA: AX = 0x0001, upper EAX kept
    RSAVE r_leawrap
    RM_TRY 1f
rm_gp_insn:
    movw %es:(%bx), %ax             # word at offset 0xFFFF crosses the 64 KiB limit: #GP(0)
1:  RM_SAVEEXC r_gp_vec, r_gp_ip

# far CALL/RET/JMP (Vol.2 CALL/RET/JMP, real-address mode)
    movw %sp, %si
    lcall $(RM_SEG+0x10), $(rm_fc_target - rm_blob - 0x100)
rm_fc_ret:
    RSAVEW r_fc_cs2, %cs
    subw %sp, %si
    RSAVEW r_fc_sp, %si
    ljmp $(RM_SEG+0x10), $(rm_fj_target - rm_blob - 0x100)
rm_fj_back:
    RSAVEW r_fj_cs2, %cs
    movw %sp, %si
    pushw $0x5555                   # a parameter released by RETF 2
    lcall *(rm_fptr - rm_blob)
    subw %sp, %si
    RSAVEW r_fm_sp, %si
    movw %sp, %si
    lcalll $RM_SEG, $(rm_f32_target - rm_blob)
rm_f32_ret:
    subw %sp, %si
    RSAVEW r_f32_sp, %si
    jmp rm_int_tests

rm_fc_target:                       # runs as (RM_SEG+0x10):(offset-0x100)
    RSAVEW r_fc_cs, %cs
    movw %sp, %bp
    RSAVEW r_fc_ip, (%bp)
    RSAVEW r_fc_pcs, 2(%bp)
    lret
rm_fj_target:
    RSAVEW r_fj_cs, %cs
    ljmp $RM_SEG, $(rm_fj_back - rm_blob)
rm_fm_target:                       # runs as (RM_SEG+0x20):(offset-0x200)
    RSAVEW r_fm_cs, %cs
    lret $2
rm_f32_target:
    movw %sp, %bp
    movl (%bp), %eax
    RSAVE r_f32_ip
    movl 4(%bp), %eax
    RSAVE r_f32_cs
    movw %si, %ax
    subw %sp, %ax
    RSAVEW r_f32_sz, %ax
    lretl

# INT n through the IVT, IRET (20.1.4)
rm_int_tests:
    xorw %ax, %ax
    movw %ax, %es
    movw $(rm_int40 - rm_blob), %es:(0x40*4)
    movw $RM_SEG, %es:(0x40*4+2)
    movw $RM_SEG, %ax
    movw %ax, %es
    movw %sp, %si
    sti                             # every 8259A line is masked
    movw $0x1111, %ax
    int $0x40
rm_int_ret:
    RSAVEW r_int_ax2, %ax
    pushfw
    popw %ax
    RSAVEW r_int_fl2, %ax
    cli
    subw %sp, %si
    RSAVEW r_int_sp, %si

# single step (17.3.1.4) through IVT vector 1
    xorw %ax, %ax
    movw %ax, %es
    movw $(rm_db - rm_blob), %es:(1*4)
    movw $RM_SEG, %ax
    movw %ax, %es
    pushfw
    popw %ax
    orw $F_TF, %ax
    pushw %ax
    popfw
    nop                             # the trap comes after this instruction
rm_ss_after:
    pushfw
    popw %ax
    RSAVEW r_db_fl2, %ax
    xorw %ax, %ax                   # vector 1 back to its recording stub
    movw %ax, %es
    movw $(rm_stubs - rm_blob + 8), %es:(1*4)
    movw $RM_SEG, %ax
    movw %ax, %es

# INT3 (CC) and INT 3 (CD 03): traps; #DE: a fault
    RM_TRY rm_i3_after
    int3
rm_i3_after:
    RM_SAVEEXC r_i3_vec, r_i3_ip
    RM_TRY rm_i3b_after
    .byte 0xCD, 0x03
rm_i3b_after:
    RM_SAVEEXC r_i3b_vec, r_i3b_ip
    movw $1, %ax
    xorb %bl, %bl
    RM_TRY 1f
rm_de_insn:
    divb %bl
1:  RM_SAVEEXC r_de_vec, r_de_ip
    RSAVEW r_de_cs, %cs:(rm_cs - rm_blob)
# the IVT is wherever IDTR points (20.1.4): LIDT base 0x1000, limit 0x13F (vectors 0-0x4F)
    movw $0x0100, %ax
    movw %ax, %es
    xorw %di, %di                   # copy vectors 0-0x4F from the table at 0
    xorw %si, %si
    movw %si, %ds
    movw $0x50*2, %cx
    cld
    rep movsw
    movw $RM_SEG, %ax
    movw %ax, %ds
    movw $(rm_int41 - rm_blob), %es:(0x41*4)
    movw $RM_SEG, %es:(0x41*4+2)
    movw %ax, %es
    lidt (rm_ivt2_desc - rm_blob)
    movw $0, (r_int41_n - rm_blob)
    int $0x41
    RM_TRY 1f
rm_int50_insn:
    int $0x50                       # entry 0x50 lies beyond the limit: #GP, IP = the INT
1:  RM_SAVEEXC r_i50_vec, r_i50_ip
    lidt (rm_ivt_desc - rm_blob)
# SP wraps at 64 KiB: a push with SP = 0 writes SS:FFFE
    movw %sp, %si
    movw $0, %sp
    pushw $0x1357
    movw %sp, %ax
    movw %si, %sp
    RSAVEW r_spw_sp, %ax
    RSAVEW r_spw_val, %ss:0xFFFE
    jmp rm_prefix_tests

rm_int41:
    incw %cs:(r_int41_n - rm_blob)
    iretw

rm_int40:
    pushw %bp
    movw %sp, %bp
    RSAVEW r_int_ax, %ax
    RSAVEW r_int_ip, 2(%bp)
    RSAVEW r_int_cs, 4(%bp)
    RSAVEW r_int_pfl, 6(%bp)
    pushfw
    popw %ax
    RSAVEW r_int_hfl, %ax
    movw %si, %ax
    subw %sp, %ax
    subw $2, %ax                    # minus the BP pushed here
    RSAVEW r_int_sz, %ax
    movw $0x2222, %ax
    popw %bp
    iretw
rm_db:
    pushw %bp
    movw %sp, %bp
    pushw %ax
    incw (r_db_n - rm_blob)
    RSAVEW r_db_ip, 2(%bp)
    RSAVEW r_db_pfl, 6(%bp)
    pushfw
    popw %ax
    RSAVEW r_db_hfl, %ax
    andw $~F_TF, 6(%bp)
    popw %ax
    popw %bp
    iretw

# operand- and address-size prefixes (Vol.1 3.6)
rm_prefix_tests:
    movl $0x12345678, %eax          # 66 B8 imm32
    RSAVE r_p66_eax
    movl $0x0000FFFF, %eax
    addl $1, %eax                   # 32-bit add carries into bit 16
    RSAVE r_p66_add
    movl $(rm_p67_data - rm_blob), %esi
    movl (%esi), %eax               # 67 66 8B 06
    RSAVE r_p67_ld
    movl $1, %ecx
    movl (%esi,%ecx,4), %eax        # SIB addressing only exists with 32-bit addresses
    RSAVE r_p67_sib
    movw %sp, %si
    pushl $0x89ABCDEF
    movw %si, %ax
    subw %sp, %ax
    RSAVEW r_p66_psz, %ax
    popw %ax
    RSAVEW r_p66_plo, %ax
    popw %ax
    RSAVEW r_p66_phi, %ax
    movw %sp, %si
    pushfl
    pushl $RM_SEG
    pushl $(rm_iretl_ret - rm_blob)
    iretl                           # 66 CF pops 12 bytes
    jmp 1f
rm_iretl_ret:
    movw $1, (r_iretl_ok - rm_blob)
1:  subw %sp, %si
    RSAVEW r_iretl_sp, %si
    movl $0x10000, %esi
    RM_TRY 1f
rm_p67gp_insn:
    movb (%esi), %al                # offset 0x10000 > limit 0xFFFF: #GP(0)
1:  RM_SAVEEXC r_p67gp_vec, r_p67gp_ip

# string instructions, 16-bit address size: SI/DI/CX only, offsets wrap at 64 KiB
    movw $0x3000, %ax
    movw %ax, %ds
    movw $0x4241, 0xFFFE            # "AB" at 3000:FFFE
    movw $0x4443, 0x0000            # "CD" at 3000:0000
    movw $0x4000, %ax
    movw %ax, %es
    movl $0xABCDFFFE, %esi
    movl $0x56780100, %edi
    movl $0x9ABC0004, %ecx
    cld
    rep movsb
    movw $RM_SEG, %ax
    movw %ax, %ds
    RSAVE r_s_esi, %esi
    RSAVE r_s_edi, %edi
    RSAVE r_s_ecx, %ecx
    movw $0x0010, %di               # STOSW with DF=1 walks down
    movw $3, %cx
    movw $0x7777, %ax
    movw $0, %es:0x0A
    std
    rep stosw
    cld
    RSAVEW r_st_di, %di
    movw $0x4000, %ax               # REPE CMPSB stops at the first difference
    movw %ax, %ds
    movw $0x5841, 0x0200            # "AX" ...
    movw $0x4443, 0x0202            # ... "CD" vs "ABCD" at 4000:0100
    movw $0x0100, %di
    movw $0x0200, %si
    movw $4, %cx
    repe cmpsb
    movw $RM_SEG, %ax
    movw %ax, %ds
    movw $RM_SEG, %ax
    movw %ax, %es
    RSAVEW r_cmp_cx, %cx
    RSAVEW r_cmp_di, %di

# PUSHA/POPA (16-bit)
    movl $RM_SP-0x20, %esp
    movl $0xFEEDA1A1, %eax
    movl $0x0000C1C1, %ecx
    movl $0x0000D2D2, %edx
    movl $0x0000B1B1, %ebx
    movl $0xBEEF4B4B, %ebp
    movl $0x00005151, %esi
    movl $0x0000D1D1, %edi
    pushaw
    movw %sp, %bp
    movw 6(%bp), %ax                # pushed SP = the value before PUSHA
    RSAVEW r_pa_sp, %ax
    movw 14(%bp), %ax
    RSAVEW r_pa_ax, %ax
    movw 0(%bp), %ax
    RSAVEW r_pa_di, %ax
    movw $RM_SP-0x20, %ax
    subw %sp, %ax
    RSAVEW r_pa_sz, %ax
    movw $0x5A5A, 14(%bp)           # new AX
    movw $0x1234, 6(%bp)            # the SP slot is skipped by POPA
    movl $0xBEEF0000, %ebp
    movl $0xFEED0000, %eax
    popaw
    RSAVE r_pa_eax
    RSAVE r_pa_ebp, %ebp
    movw %sp, %cx
    RSAVEW r_pa_sp2, %cx
    movl $RM_SP, %esp
    jmp rm_done

# ---- the unreal trip: DS was loaded in PM with a 4 GiB limit, then reloaded in real mode
rm_unreal:
    RSAVEW r_ur_ds, %ds
    movl $(UNREAL_LIN - RM_BASE), %esi
    movl (%esi), %eax               # 32-bit offset above 64 KiB: allowed by the cached limit
    RSAVE r_ur_rd
    movl $0x2468ACE0, %ebx
    movl %ebx, 4(%esi)
    movw $0x1000, %ax               # another real-mode reload: new base, limit still 4 GiB
    movw %ax, %ds
    movl $(UNREAL_LIN - 0x10000), %esi
    movl (%esi), %edx
    movw %ds, %cx
    movw $RM_SEG, %ax
    movw %ax, %ds
    RSAVE r_ur_rd2, %edx
    RSAVEW r_ur_ds, %cx
    movl $(UNREAL_LIN - RM_BASE), %esi
    RM_TRY 1f
    movl %es:(%esi), %eax           # ES kept its 64 KiB limit: #GP(0)
1:  RSAVEW r_ur_es_vec, %cs:(rm_vec - rm_blob)
    jmp rm_done

    .code32
# ---- blob data
    .balign 4
rm_ivt_desc: .word 0x3FF
             .long 0
rm_pm_idt_desc: .word 256*8-1
             .long idt
rm_mode:     .long 0
rm_ivt2_desc: .word 0x13F
             .long 0x1000
rm_recover:  .word 0
rm_recover_sp: .word 0
rm_vec:      .word 0
rm_ip:       .word 0
rm_cs:       .word 0
rm_fl:       .word 0
rm_unexp:    .word 0
rm_fptr:     .word rm_fm_target - rm_blob - 0x200, RM_SEG+0x20
    .balign 4
rm_p67_data: .long 0xCAFEBABE, 0x0BADF00D
r_sidt:      .long 0, 0
r_cr0:       .long 0
r_cs:        .long 0
r_ss:        .long 0
r_alias:     .long 0
r_wrap:      .long 0
r_leawrap:   .long 0
r_gp_vec:    .long 0
r_gp_ip:     .long 0
r_fc_cs:     .long 0
r_fc_ip:     .long 0
r_fc_pcs:    .long 0
r_fc_cs2:    .long 0
r_fc_sp:     .long 0
r_fj_cs:     .long 0
r_fj_cs2:    .long 0
r_fm_cs:     .long 0
r_fm_sp:     .long 0
r_f32_ip:    .long 0
r_f32_cs:    .long 0
r_f32_sz:    .long 0
r_f32_sp:    .long 0
r_int_ax:    .long 0
r_int_ip:    .long 0
r_int_cs:    .long 0
r_int_pfl:   .long 0
r_int_hfl:   .long 0
r_int_sz:    .long 0
r_int_ax2:   .long 0
r_int_fl2:   .long 0
r_int_sp:    .long 0
r_db_n:      .long 0
r_db_ip:     .long 0
r_db_pfl:    .long 0
r_db_hfl:    .long 0
r_db_fl2:    .long 0
r_i3_vec:    .long 0
r_i3_ip:     .long 0
r_i3b_vec:   .long 0
r_i3b_ip:    .long 0
r_de_vec:    .long 0
r_de_ip:     .long 0
r_de_cs:     .long 0
r_int41_n:   .long 0
r_i50_vec:   .long 0
r_i50_ip:    .long 0
r_spw_sp:    .long 0
r_spw_val:   .long 0
r_p66_eax:   .long 0
r_p66_add:   .long 0
r_p67_ld:    .long 0
r_p67_sib:   .long 0
r_p66_psz:   .long 0
r_p66_plo:   .long 0
r_p66_phi:   .long 0
r_iretl_sp:  .long 0
r_iretl_ok:  .long 0
r_p67gp_vec: .long 0
r_p67gp_ip:  .long 0
r_s_esi:     .long 0
r_s_edi:     .long 0
r_s_ecx:     .long 0
r_st_di:     .long 0
r_cmp_cx:    .long 0
r_cmp_di:    .long 0
r_pa_sp:     .long 0
r_pa_ax:     .long 0
r_pa_di:     .long 0
r_pa_sz:     .long 0
r_pa_eax:    .long 0
r_pa_ebp:    .long 0
r_pa_sp2:    .long 0
r_ur_ds:     .long 0
r_ur_rd:     .long 0
r_ur_rd2:    .long 0
r_ur_es_vec: .long 0
rm_blob_end:
