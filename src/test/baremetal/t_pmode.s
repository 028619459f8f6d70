# pmode: protected-mode segmentation. SDM Vol.3 ch.3 (3.4 selectors/descriptors), ch.5 (5.3 limit
# checks, 5.4 type checks, 5.10 pointer validation instructions), Vol.2 LAR/LSL/VERR/VERW/ARPL.
.include "lib.inc"
    .section .rodata
    .globl test_name
test_name: .asciz "pmode"
    .data
    .align 16
area_a:     .long 0x11111111, 0x22222222, 0x33333333, 0x44444444
area_b:     .long 0xBBBB0000, 0xBBBB0001
ldt_table:  .quad 0
            .quad 0                # LDT entry 1, filled at run time
            .quad 0
gdt_save:   .word 0
            .long 0
            .word 0
idt_save:   .word 0
            .long 0
    .text
    .globl test_main
test_main:
# ---- segment base: loads through a descriptor with a non-zero base (3.4.3)
    GDT_SET $SEL_S0, $area_a, $0xFFF, $0x4092       # byte granular, limit 0xFFF
    movw $SEL_S0, %ax
    movw %ax, %fs
    movl %fs:4, %eax
    CHECK seg.base_read, %eax, $0x22222222
    movl $0x5A5A5A5A, %fs:12
    CHECK seg.base_write, area_a+12, $0x5A5A5A5A
# the descriptor is cached in the segment register until reloaded (3.4.3)
    GDT_SET $SEL_S0, $area_b, $0xFFF, $0x4092
    movl %fs:4, %eax
    CHECK seg.cached_descriptor, %eax, $0x22222222
    movw $SEL_S0, %ax
    movw %ax, %fs
    movl %fs:4, %eax
    CHECK seg.reloaded_descriptor, %eax, $0xBBBB0001
# accessed bit set by the load (3.4.5.1)
    movl gdt+SEL_S0+4, %eax
    andl $0x100, %eax
    CHECK seg.accessed_bit, %eax, $0x100

# ---- limit checks (5.3): byte-granular limit 0xFFF
    GDT_SET $SEL_S0, $area_a, $0xFFF, $0x4092
    movw $SEL_S0, %ax
    movw %ax, %fs
    TRY 1f
    movl %fs:0xFFC, %eax                             # last 4 bytes inside the limit
1:  CHECK_NOEXC limit.last_dword
    QUIRK noseglimit, limit.data_beyond, 3f
    TRY 1f
2:  movl %fs:0x1000, %eax
1:  CHECK_EXC limit.data_beyond, $V_GP, $0, $2b
    movw $SEL_S0, %ax                                # the exception path reloaded FS
    movw %ax, %fs
    TRY 1f
2:  movl %fs:0xFFD, %eax                             # straddles the limit
1:  CHECK_EXC limit.data_straddle, $V_GP, $0, $2b
# #SS(0) for a stack-segment limit violation: SS limit (4K granular) ends at stack_top
    movl $stack_top+0x1FFF, %ecx                     # a page of slack: the handler reads above its frame
    shrl $12, %ecx
    decl %ecx
    GDT_SET $SEL_S1, $0, %ecx, $0xC092
    movw $SEL_S1, %ax
    movw %ax, %ss
    movl $0x2000000, %ebp
    TRY 1f
2:  movl (%ebp), %eax                                # EBP-based: SS segment
1:  CHECK_EXC limit.stack_beyond, $V_SS, $0, $2b
    movw $SEL_KDATA, %ax
    movw %ax, %ss
3:
# ---- expand-down data segment (3.4.5.1): valid offsets are limit+1 .. 0xFFFFFFFF (B=1)
    GDT_SET $SEL_S2, $0, $0xFFF, $0x4096
    movw $SEL_S2, %ax
    movw %ax, %gs
    movl $SEL_S2, %eax
    lsl %eax, %ecx
    CHECK expdown.lsl, %ecx, $0xFFF
    TRY 1f
    movl %gs:stack_top-16, %eax                      # above the limit: valid
1:  CHECK_NOEXC expdown.above_limit_ok
    QUIRK noseglimit, expdown.below_limit, 3f
    TRY 1f
2:  movl %gs:0x800, %eax
1:  CHECK_EXC expdown.below_limit, $V_GP, $0, $2b
3:
    movw $SEL_KDATA, %ax
    movw %ax, %fs
    movw %ax, %gs

# ---- type checks on access (5.4.1): writing through a read-only data segment -> #GP(0)
    GDT_SET $SEL_S3, $area_a, $0xFFF, $0x4090
    movw $SEL_S3, %ax
    movw %ax, %gs
    movl %gs:0, %eax
    CHECK type.readonly_read, %eax, $0x11111111
    QUIRK nosegrw, type.readonly_write, 3f
    TRY 1f
2:  movl $0, %gs:0
1:  CHECK_EXC type.readonly_write, $V_GP, $0, $2b
    CHECK type.readonly_unchanged, area_a, $0x11111111
3:  movw $SEL_KDATA, %ax
    movw %ax, %gs

# ---- null selector (3.4.2, 5.4.1): loading DS..GS with null is fine, using it faults; SS not
    TRY 1f
    xorl %eax, %eax
    movw %ax, %es
1:  CHECK_NOEXC null.load_es
    movw %es, %ax
    movzwl %ax, %eax
    CHECK null.es_value, %eax, $0
    movw $3, %ax                                     # null with RPL 3 is null too
    TRY 1f
    movw %ax, %fs
1:  CHECK_NOEXC null.load_fs_rpl3
    QUIRK nonullseg, null.use_es, 3f
    TRY 1f
2:  movl %es:area_a, %eax
1:  CHECK_EXC null.use_es, $V_GP, $0, $2b
3:  movw $SEL_KDATA, %ax
    movw %ax, %es
    movw %ax, %fs
    TRY 1f
    xorl %eax, %eax
2:  movw %ax, %ss
1:  CHECK_EXC null.load_ss, $V_GP, $0, $2b

# ---- LAR (Vol.2 LAR): access rights masked 00FxFF00; accessed bit (bit 8) masked here too
    movl $SEL_KCODE, %ebx
    lar %ebx, %eax
    CHECK_FLAG lar.kcode_zf, F_ZF, 1
    andl $0x00F0FE00, %eax
    CHECK lar.kcode, %eax, $0x00C09A00
    movl $SEL_UDATA, %ebx
    lar %ebx, %eax
    CHECK_FLAG lar.udata_zf, F_ZF, 1
    andl $0x00F0FE00, %eax
    CHECK lar.udata, %eax, $0x00C0F200
    movl $SEL_TSS, %ebx
    lar %ebx, %eax
    CHECK_FLAG lar.tss_zf, F_ZF, 1
    andl $0x00F0FF00, %eax
    CHECK lar.tss_busy, %eax, $0x00008B00
    CALLGATE_SET SEL_S3, $0, $SEL_KCODE, $0           # offset 0: bits 16-31 of the high dword are 0
    movl $SEL_S3, %ebx
    lar %ebx, %eax
    CHECK_FLAG lar.callgate_zf, F_ZF, 1
    andl $0x00F0FF00, %eax
    CHECK lar.callgate, %eax, $0x0000EC00
    movl $0xCAFE, %eax
    xorl %ebx, %ebx
    lar %ebx, %eax
    CHECK_FLAG lar.null_zf, F_ZF, 0
    CHECK lar.null_dest_unchanged, %eax, $0xCAFE
    movl $0x1F8, %ebx
    lar %ebx, %eax
    CHECK_FLAG lar.beyond_gdt_zf, F_ZF, 0
    movl $(SEL_KDATA|3), %ebx                        # DPL 0 < RPL 3
    lar %ebx, %eax
    CHECK_FLAG lar.rpl3_on_dpl0_zf, F_ZF, 0
    IDT_SET 0, $0, $G_INT32                          # (not used: keep vector 0 sane below)
    IDT_RESET 0

# ---- LSL (Vol.2 LSL): scaled limit
    movl $SEL_KDATA, %ebx
    lsl %ebx, %eax
    CHECK_FLAG lsl.kdata_zf, F_ZF, 1
    CHECK lsl.kdata, %eax, $0xFFFFFFFF
    movl $SEL_S0, %ebx
    lsl %ebx, %eax
    CHECK lsl.byte_granular, %eax, $0xFFF
    movl $SEL_TSS, %ebx
    lsl %ebx, %eax
    CHECK_FLAG lsl.tss_zf, F_ZF, 1
    CHECK lsl.tss, %eax, $(104+8192)
    movl $0x1234, %eax
    movl $SEL_S3, %ebx                               # call gate: no limit
    lsl %ebx, %eax
    CHECK_FLAG lsl.callgate_zf, F_ZF, 0
    CHECK lsl.dest_unchanged, %eax, $0x1234

# ---- VERR / VERW
    GDT_SET $SEL_S4, $0, $0xFFFFF, $0xC098           # execute-only code
    GDT_SET $SEL_S5, $0, $0xFFFFF, $0xC090           # read-only data
    movw $SEL_KCODE, %ax
    verr %ax
    CHECK_FLAG verr.readable_code, F_ZF, 1
    movw $SEL_S4, %ax
    verr %ax
    CHECK_FLAG verr.exec_only_code, F_ZF, 0
    movw $SEL_S5, %ax
    verr %ax
    CHECK_FLAG verr.readonly_data, F_ZF, 1
    verw %ax
    CHECK_FLAG verw.readonly_data, F_ZF, 0
    movw $SEL_KDATA, %ax
    verw %ax
    CHECK_FLAG verw.kdata, F_ZF, 1
    movw $SEL_KCODE, %ax
    verw %ax
    CHECK_FLAG verw.code, F_ZF, 0
    xorl %eax, %eax
    verr %ax
    CHECK_FLAG verr.null, F_ZF, 0
    movw $SEL_TSS, %ax
    verr %ax
    CHECK_FLAG verr.system, F_ZF, 0

# ---- ARPL (Vol.2 ARPL): raise RPL of the destination to the source's
    movw $0x0010, %ax
    movw $0x0003, %bx
    arpl %bx, %ax
    CHECK_FLAG arpl.adjust_zf, F_ZF, 1
    movzwl %ax, %eax
    CHECK arpl.adjusted, %eax, $0x0013
    movw $0x0013, %ax
    movw $0x0001, %bx
    arpl %bx, %ax
    CHECK_FLAG arpl.keep_zf, F_ZF, 0
    movzwl %ax, %eax
    CHECK arpl.kept, %eax, $0x0013

# ---- SGDT / SIDT / SLDT / STR / SMSW (Vol.2)
    sgdt gdt_save
    movzwl gdt_save, %eax
    CHECK sgdt.limit, %eax, $GDT_LIMIT
    CHECK sgdt.base, gdt_save+2, $gdt
    sidt idt_save
    movzwl idt_save, %eax
    CHECK sidt.limit, %eax, $0x7FF
    CHECK sidt.base, idt_save+2, $idt
    movl $0xFFFFFFFF, %eax
    str %eax
    andl $0xFFFF, %eax
    CHECK str.tr, %eax, $SEL_TSS
    movl $0xFFFF, %eax
    sldt %eax
    andl $0xFFFF, %eax
    CHECK sldt.none, %eax, $0
    smsw %eax
    andl $1, %eax
    CHECK smsw.pe, %eax, $1
# an LDT and a TI=1 selector (3.5.1)
    movl $(area_a + 0x00000000), %eax
    movw %ax, ldt_table+10                            # base 15:0
    shrl $16, %eax
    movb %al, ldt_table+12                            # base 23:16
    movb %ah, ldt_table+15                            # base 31:24
    movw $0xFFF, ldt_table+8                          # limit 15:0
    movb $0x92, ldt_table+13                          # present data rw DPL0
    movb $0x40, ldt_table+14                          # B=1, byte granular
    GDT_SET $SEL_S6, $ldt_table, $0x17, $A_LDT
    movw $SEL_S6, %ax
    lldt %ax
    sldt %eax
    andl $0xFFFF, %eax
    CHECK sldt.loaded, %eax, $SEL_S6
    movw $0x0C, %ax                                   # LDT index 1, TI=1
    movw %ax, %fs
    movl %fs:0, %eax
    CHECK ldt.segment_read, %eax, $0x11111111
    movl $0x0C, %ebx
    lsl %ebx, %eax
    CHECK ldt.lsl, %eax, $0xFFF
    TRY 1f
    movw $0x14, %ax                                   # LDT index 2: null descriptor -> #GP(sel)
2:  movw %ax, %fs
1:  CHECK_EXC ldt.empty_entry, $V_GP, $0x14, $2b
    TRY 1f
    movw $0x1C, %ax                                   # beyond LDT limit
2:  movw %ax, %fs
1:  CHECK_EXC ldt.beyond_limit, $V_GP, $0x1C, $2b
    xorl %eax, %eax
    lldt %ax
    movw $SEL_KDATA, %ax
    movw %ax, %fs

# ---- far CALL / JMP / RET to a 16-bit code segment (3.4.5 D flag, Vol.2 CALL/RET far)
    GDT_SET $SEL_S7, $code16, $0xFFFF, $A_CODE16
    movl $0xAAAA0000, %eax
    movl %esp, %esi
    lcall $SEL_S7, $(c16_call - code16)
    CHECK c16.ax_16bit_default, %eax, $0xAAAA1234
    CHECK c16.cs_in_16bit, %edx, $SEL_S7
    movl %esi, %ecx
    subl %edi, %ecx
    CHECK c16.far_call_pushed_8, %ecx, $8
    CHECK c16.pushw_2_bytes, %ebx, $2
    cmpl %esp, %esi
    sete %al
    movzbl %al, %eax
    CHECK c16.esp_restored, %eax, $1
    movl $0, %ebx
    ljmp $SEL_S7, $(c16_jmp - code16)
back32:
    CHECK c16.far_jmp_roundtrip, %ebx, $0x5566
    movw %cs, %ax
    movzwl %ax, %eax
    CHECK c16.back_cs, %eax, $SEL_KCODE
# 16-bit far call from the 16-bit segment to itself, returning with a 16-bit RETF
    lcall $SEL_S7, $(c16_nested - code16)
    CHECK c16.call16_pushes_4, %ecx, $4

# ---- PUSH/POP of segment registers (Vol.2 PUSH/POP)
    movl %esp, %esi
    pushl %ds
    movl %esp, %ecx
    subl %esi, %ecx
    movl (%esp), %eax
    andl $0xFFFF, %eax
    CHECK push.ds_32_size, %ecx, $-4
    CHECK push.ds_value, %eax, $SEL_KDATA
    popl %es
    movw %es, %ax
    movzwl %ax, %eax
    CHECK pop.es_value, %eax, $SEL_KDATA
    movl %esp, %eax
    CHECK pop.esp_back, %eax, %esi
    movl %esp, %esi
    pushw %fs
    movl %esp, %ecx
    subl %esi, %ecx
    CHECK pushw.fs_size, %ecx, $-2
    popw %gs
    movl %esp, %eax
    CHECK popw.esp_back, %eax, %esi
    pushl %cs
    popl %eax
    andl $0xFFFF, %eax
    CHECK push.cs_value, %eax, $SEL_KCODE
    pushl %ss
    popl %ss
    movl %esp, %eax
    CHECK popss.esp_back, %eax, %esi
# POP DS of a bad selector: #GP(selector) and ESP not changed (fault)
    pushl $0x100
    movl %esp, %edi
    TRY 1f
2:  popl %ds
1:  CHECK_EXC pop.ds_bad_selector, $V_GP, $0x100, $2b
    movl exc_handler_esp, %eax
    addl $12, %eax
    CHECK pop.fault_esp_unchanged, %eax, %edi
    movl %esi, %esp
    ret

# ---------------- 16-bit code segment (base = code16, offsets relative to it)
    .code16
code16:
c16_call:
    movl %esp, %edi                 # ESP after the 32-bit far call pushed CS:EIP
    .byte 0xB8, 0x34, 0x12          # mov $0x1234, %ax (16-bit operand size by default)
    movw %cs, %dx
    movzwl %dx, %edx
    movl %esp, %ebx
    pushw $0x7777
    subl %esp, %ebx                 # 2
    popw %cx
    lretl                           # 32-bit far return: pops EIP and CS
c16_jmp:
    movw $0x5566, %bx
    ljmpl $SEL_KCODE, $back32
c16_nested:
    movl %esp, %ebp
    lcallw $SEL_S7, $(c16_target - code16)   # 16-bit far call: pushes CS, IP (4 bytes)
    lretl
c16_target:
    movl %ebp, %ecx
    subl %esp, %ecx
    lretw
    .code32
