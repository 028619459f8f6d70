# lib.s - start-up and services shared by every bare-metal test kernel.
# Multiboot v1 entry (Multiboot spec 3.1), flat GDT, TSS, IDT with recording handlers,
# COM1 output, check bookkeeping and isa-debug-exit (port 0xF4) exit.
.include "lib.inc"

.set MB_MAGIC, 0x1BADB002
.set MB_FLAGS, 0x00000000

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .text
    .code32
    .globl _start
_start:
    cli
    cld
    movl $stack_top, %esp
    movl %eax, mb_magic
    movl %ebx, mb_info
    lgdt gdt_desc
    ljmp $SEL_KCODE, $1f
1:  movw $SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    xorl %eax, %eax
    lldt %ax
    pushl $0
    popfl
    call copy_cmdline
    call serial_init
    call idt_init
    call tss_init
    call pic_init
    PRINT "=== "
    pushl $test_name
    call puts
    leal 4(%esp), %esp
    PRINT " ===\n"
    call test_main
    jmp finish

    .globl finish
finish:
    cli
    movw $SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl $stack_top, %esp
    pushl $test_name
    call puts
    leal 4(%esp), %esp
    PRINT ": "
    PRINTHEX checks_total
    PRINT " checks, "
    PRINTHEX checks_failed
    PRINT " failed (hex)\n"
    movl checks_failed, %eax
    testl %eax, %eax
    jz 2f
    cmpl $126, %eax
    jbe 2f
    movl $126, %eax
2:  pushl %eax
    call exit_with

# exit_with(code): isa-debug-exit; QEMU exits with (code<<1)|1. Never returns.
    .globl exit_with
exit_with:
    movl 4(%esp), %eax
    testl %eax, %eax
    jnz 1f
    PRINT "RESULT: PASS\n"
    jmp 2f
1:  PRINT "RESULT: FAIL\n"
2:  movw $0xF4, %dx
    outl %eax, %dx
3:  cli
    hlt
    jmp 3b

# ---------------------------------------------------------------- multiboot command line
copy_cmdline:
    movb $0, cmdline
    cmpl $0x2BADB002, mb_magic
    jne 9f
    movl mb_info, %esi
    testl $4, (%esi)               # flags bit 2: cmdline valid
    jz 9f
    movl 16(%esi), %esi
    movl $cmdline, %edi
    movl $255, %ecx
1:  lodsb
    stosb
    testb %al, %al
    jz 9f
    loop 1b
    movb $0, (%edi)
9:  ret

# quirk_check(token, name) -> eax=1 if cmdline contains token (prints "skip name" unless name=0)
    .globl quirk_check
quirk_check:
    pushl %esi
    pushl %edi
    pushl %ebx
    movl $cmdline, %ebx
1:  movl %ebx, %esi
    movl 16(%esp), %edi
2:  movb (%edi), %al
    testb %al, %al
    jz 5f                          # whole token matched
    cmpb (%esi), %al
    jne 3f
    incl %esi
    incl %edi
    jmp 2b
3:  cmpb $0, (%ebx)
    je 4f
    incl %ebx
    jmp 1b
4:  xorl %eax, %eax
    jmp 6f
5:  cmpl $0, 20(%esp)
    je 7f
    PRINT "skip "
    pushl 20(%esp)
    call puts
    PRINT " (quirk "
    pushl 20(%esp)
    call puts
    leal 8(%esp), %esp
    PRINT ")\n"
    incl checks_skipped
7:  movl $1, %eax
6:  popl %ebx
    popl %edi
    popl %esi
    ret

# ---------------------------------------------------------------- COM1 (16550)
serial_init:
    movw $0x3F9, %dx
    xorb %al, %al
    outb %al, %dx                  # IER = 0
    movw $0x3FB, %dx
    movb $0x80, %al
    outb %al, %dx                  # DLAB
    movw $0x3F8, %dx
    movb $1, %al
    outb %al, %dx                  # divisor 1 = 115200
    movw $0x3F9, %dx
    xorb %al, %al
    outb %al, %dx
    movw $0x3FB, %dx
    movb $3, %al
    outb %al, %dx                  # 8N1
    movw $0x3FA, %dx
    movb $0x07, %al
    outb %al, %dx                  # FIFO on, cleared
    movw $0x3FC, %dx
    movb $0x03, %al
    outb %al, %dx
    ret

# putc(al): poll LSR.THRE (bit 5) with a bounded wait, then write THR
    .globl putc
putc:
    pushl %ecx
    pushl %edx
    pushl %eax
    movl $100000, %ecx
    movw $0x3FD, %dx
1:  inb %dx, %al
    testb $0x20, %al
    jnz 2f
    loop 1b
2:  popl %eax
    movw $0x3F8, %dx
    outb %al, %dx
    popl %edx
    popl %ecx
    ret

# puts(str)
    .globl puts
puts:
    pushl %eax
    pushl %esi
    movl 12(%esp), %esi
1:  movb (%esi), %al
    testb %al, %al
    jz 2f
    call putc
    incl %esi
    jmp 1b
2:  popl %esi
    popl %eax
    ret

# puthex(value): 8 hex digits
    .globl puthex
puthex:
    pushl %eax
    pushl %ebx
    pushl %ecx
    movl 16(%esp), %ebx
    movl $8, %ecx
1:  roll $4, %ebx
    movl %ebx, %eax
    andl $15, %eax
    movb hexdigits(%eax), %al
    call putc
    loop 1b
    popl %ecx
    popl %ebx
    popl %eax
    ret

# ---------------------------------------------------------------- checks
# check_eq(name, got, exp)
    .globl check_eq
check_eq:
    pushfl
    pushal
    movl 40(%esp), %esi            # name
    movl 44(%esp), %eax            # got
    movl 48(%esp), %ebx            # exp
    incl checks_total
    cmpl %eax, %ebx
    jne 1f
    PRINT "ok "
    pushl %esi
    call puts
    leal 4(%esp), %esp
    PRINT "\n"
    jmp 2f
1:  pushl %esi
    call report_fail
    leal 4(%esp), %esp
2:  popal
    popfl
    ret

# report_fail(name) with eax=got, ebx=expected; prints the FAIL line
report_fail:
    incl checks_failed
    PRINT "FAIL "
    pushl 4(%esp)
    call puts
    leal 4(%esp), %esp
    PRINT " expected "
    PRINTHEX %ebx
    PRINT " got "
    PRINTHEX %eax
    PRINT "\n"
    ret

# check_flag(name, mask, exp, [flags pushed before the args])
    .globl check_flag
check_flag:
    pushfl
    pushal
    movl 40(%esp), %esi
    movl 44(%esp), %ecx            # mask
    movl 48(%esp), %ebx            # expected 0/1
    movl 52(%esp), %edx            # flags
    xorl %eax, %eax
    testl %ecx, %edx
    setnz %al
    pushl %ebx
    pushl %eax
    pushl %esi
    call check_eq
    leal 12(%esp), %esp
    popal
    popfl
    ret

# check_range(name, got, lo, hi)
    .globl check_range
check_range:
    pushfl
    pushal
    movl 40(%esp), %esi
    movl 44(%esp), %eax
    movl 48(%esp), %ebx
    movl 52(%esp), %ecx
    incl checks_total
    cmpl %ebx, %eax
    jb 1f
    cmpl %ecx, %eax
    ja 1f
    PRINT "ok "
    pushl %esi
    call puts
    leal 4(%esp), %esp
    PRINT "\n"
    jmp 2f
1:  incl checks_failed
    PRINT "FAIL "
    pushl %esi
    call puts
    leal 4(%esp), %esp
    PRINT " expected "
    PRINTHEX %ebx
    PRINT ".."
    PRINTHEX %ecx
    PRINT " got "
    PRINTHEX %eax
    PRINT "\n"
2:  popal
    popfl
    ret

# check_exc(name, vec, err, eip): compares exc_vector/exc_error/exc_eip (ANY = skip field)
    .globl check_exc
check_exc:
    pushfl
    pushal
    movl 40(%esp), %esi
    xorl %edi, %edi                # mismatch count
    movl exc_vector, %eax
    movl 44(%esp), %ebx
    incl checks_total
    cmpl %eax, %ebx
    je 1f
    incl %edi
    PRINT "FAIL "
    pushl %esi
    call puts
    leal 4(%esp), %esp
    PRINT " vector"
    call report_fail_tail
1:  movl exc_error, %eax
    movl 48(%esp), %ebx
    cmpl $ANY, %ebx
    je 2f
    incl checks_total
    cmpl %eax, %ebx
    je 2f
    incl %edi
    PRINT "FAIL "
    pushl %esi
    call puts
    leal 4(%esp), %esp
    PRINT " errcode"
    call report_fail_tail
2:  movl exc_eip, %eax
    movl 52(%esp), %ebx
    cmpl $ANY, %ebx
    je 3f
    incl checks_total
    cmpl %eax, %ebx
    je 3f
    incl %edi
    PRINT "FAIL "
    pushl %esi
    call puts
    leal 4(%esp), %esp
    PRINT " eip"
    call report_fail_tail
3:  testl %edi, %edi
    jnz 4f
    PRINT "ok "
    pushl %esi
    call puts
    leal 4(%esp), %esp
    PRINT "\n"
    jmp 5f
4:  addl %edi, checks_failed
5:  popal
    popfl
    ret
report_fail_tail:
    PRINT " expected "
    PRINTHEX %ebx
    PRINT " got "
    PRINTHEX %eax
    PRINT "\n"
    ret

# ---------------------------------------------------------------- descriptors
# gdt_set(sel, base, limit, attr)   (SDM Vol.3 3.4.5 segment descriptor format)
    .globl gdt_set
gdt_set:
    pushal
    movl 36(%esp), %edi
    andl $0xFFF8, %edi
    addl $gdt, %edi
    movl 40(%esp), %ebx            # base
    movl 44(%esp), %ecx            # limit
    movl 48(%esp), %edx            # attr
    movl %ebx, %eax
    shll $16, %eax
    movw %cx, %ax
    movl %eax, (%edi)
    movl %ebx, %eax
    andl $0xFF000000, %eax
    andl $0x000F0000, %ecx
    orl %ecx, %eax
    andl $0xF0FF, %edx
    shll $8, %edx
    orl %edx, %eax
    shrl $16, %ebx
    movzbl %bl, %ebx
    orl %ebx, %eax
    movl %eax, 4(%edi)
    popal
    ret

# gate_set(addr, offset, selector, type, params)   (SDM Vol.3 5.8.3, 6.11)
    .globl gate_set
gate_set:
    pushal
    movl 36(%esp), %edi
    movl 40(%esp), %ebx
    movl 44(%esp), %ecx
    movl %ecx, %eax
    shll $16, %eax
    movw %bx, %ax
    movl %eax, (%edi)
    movl %ebx, %eax
    andl $0xFFFF0000, %eax
    movl 48(%esp), %ecx
    shll $8, %ecx
    orl %ecx, %eax
    movl 52(%esp), %ecx
    andl $0x1F, %ecx
    orl %ecx, %eax
    movl %eax, 4(%edi)
    popal
    ret

# ---------------------------------------------------------------- IDT and handlers
idt_init:
    xorl %ecx, %ecx
1:  leal exc_stubs(,%ecx,8), %eax
    leal (%eax,%ecx,8), %eax       # exc_stubs + 16*vector
    leal idt(,%ecx,8), %edx
    GATE_SET %edx, %eax, $SEL_KCODE, $G_INT32, $0
    incl %ecx
    cmpl $256, %ecx
    jne 1b
    IDT_SET V_RING0, $ring0_return, $G_INT32_U
    lidt idt_desc
    ret

# one 16-byte stub per vector; vectors 8,10-14,17 get an error code from the CPU
    .balign 16
    .globl exc_stubs
exc_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    .if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17)
    .else
    pushl $0
    .endif
    pushl $vec
    jmp exc_common
    .set vec, vec+1
    .endr

# stack on entry: vector, error, EIP, CS, EFLAGS, [ESP, SS if CPL changed]
exc_common:
    pushl %eax
    movl %ds, %eax
    movl %eax, %ss:exc_ds
    movw $SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movl 4(%esp), %eax
    movl %eax, exc_vector
    movl 8(%esp), %eax
    movl %eax, exc_error
    movl 12(%esp), %eax
    movl %eax, exc_eip
    movl 16(%esp), %eax
    movl %eax, exc_cs
    movl 20(%esp), %eax
    movl %eax, exc_eflags
    movl 24(%esp), %eax
    movl %eax, exc_esp3
    movl 28(%esp), %eax
    movl %eax, exc_ss3
    movl %cr2, %eax
    movl %eax, exc_cr2
    leal 12(%esp), %eax
    movl %eax, exc_handler_esp     # address of the saved EIP in the CPU's frame
    incl exc_count
    movl exc_recover, %eax
    testl %eax, %eax
    jz unexpected
    movl %eax, exc_target
    movl $0, exc_recover
    movw $SEL_KDATA, %ax
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl exc_recover_esp, %esp
    jmp *exc_target

unexpected:
    cmpl $0, in_unexpected
    jne 2f
    movl $1, in_unexpected
    movl $stack_top, %esp
    movw $SEL_KDATA, %ax
    movw %ax, %ss
    PRINT "FAIL unexpected exception vector "
    PRINTHEX exc_vector
    PRINT " error "
    PRINTHEX exc_error
    PRINT " eip "
    PRINTHEX exc_eip
    PRINT " cs "
    PRINTHEX exc_cs
    PRINT " cr2 "
    PRINTHEX exc_cr2
    PRINT "\n"
    incl checks_failed
2:  pushl $127
    call exit_with

# LEAVE_RING3 target (INT V_RING0 through a DPL3 interrupt gate)
ring0_return:
    movl %eax, %ss:r3_eax
    movl (%esp), %eax
    movl %eax, %ss:r3_frame
    movl 4(%esp), %eax
    movl %eax, %ss:r3_frame+4
    movl 8(%esp), %eax
    movl %eax, %ss:r3_frame+8
    movl 12(%esp), %eax
    movl %eax, %ss:r3_frame+12
    movl 16(%esp), %eax
    movl %eax, %ss:r3_frame+16
    movl %esp, %ss:r3_handler_esp
    movw $SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movl ring0_esp, %esp
    movl r3_eax, %eax
    jmp *r3_frame

# ---------------------------------------------------------------- TSS
tss_init:
    movl $main_tss, %edi
    movl $(104/4), %ecx
    xorl %eax, %eax
    rep stosl
    movl $0xFFFFFFFF, %eax         # I/O bitmap: all ports denied, plus the 0xFF end byte
    movl $((8192+4)/4), %ecx
    rep stosl
    movl $kstack2_top, main_tss+4  # ESP0
    movl $SEL_KDATA, main_tss+8    # SS0
    movw $104, main_tss+0x66       # I/O map base
    GDT_SET $SEL_TSS, $main_tss, $(104+8192), $A_TSS32
    movw $SEL_TSS, %ax
    ltr %ax
    ret

# ---------------------------------------------------------------- 8259A PIC: remap to 0x20/0x28, mask all
    .globl pic_init
pic_init:
    movb $0x11, %al
    outb %al, $0x20
    outb %al, $0xA0
    movb $0x20, %al
    outb %al, $0x21
    movb $0x28, %al
    outb %al, $0xA1
    movb $0x04, %al
    outb %al, $0x21
    movb $0x02, %al
    outb %al, $0xA1
    movb $0x01, %al
    outb %al, $0x21
    outb %al, $0xA1
    movb $0xFF, %al
    outb %al, $0x21
    outb %al, $0xA1
    ret

# ---------------------------------------------------------------- data
    .section .rodata
hexdigits: .ascii "0123456789ABCDEF"

    .data
    .align 8
    .globl gdt
gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF       # 0x08 ring 0 code
    .quad 0x00CF92000000FFFF       # 0x10 ring 0 data
    .quad 0x00CFFA000000FFFF       # 0x18 ring 3 code
    .quad 0x00CFF2000000FFFF       # 0x20 ring 3 data
    .quad 0                        # 0x28 main TSS
    .fill 26, 8, 0                 # 0x30.. scratch
gdt_end:
    .align 4
    .word 0
    .globl gdt_desc
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
    .word 0
    .globl idt_desc
idt_desc:
    .word 256*8 - 1
    .long idt

    .globl checks_total, checks_failed, checks_skipped
checks_total:   .long 0
checks_failed:  .long 0
checks_skipped: .long 0
    .globl exc_vector, exc_error, exc_eip, exc_cs, exc_eflags, exc_esp3, exc_ss3, exc_cr2
    .globl exc_ds, exc_count, exc_recover, exc_recover_esp, exc_handler_esp
exc_vector:     .long -1
exc_error:      .long -1
exc_eip:        .long -1
exc_cs:         .long 0
exc_eflags:     .long 0
exc_esp3:       .long 0
exc_ss3:        .long 0
exc_cr2:        .long 0
exc_ds:         .long 0
exc_count:      .long 0
exc_recover:    .long 0
exc_recover_esp: .long 0
exc_handler_esp: .long 0
exc_target:     .long 0
in_unexpected:  .long 0
    .globl ring0_esp, r3_frame, r3_handler_esp
ring0_esp:      .long 0
r3_eax:         .long 0
r3_frame:       .long 0,0,0,0,0
r3_handler_esp: .long 0
    .globl mb_magic, mb_info, cmdline
mb_magic:       .long 0
mb_info:        .long 0

    .bss
    .align 4096
    .globl idt, main_tss
idt:        .skip 256*8
main_tss:   .skip 104 + 8192 + 4
    .align 16
cmdline:    .skip 256
    .align 4096
    .skip 16384
    .globl stack_top
stack_top:
    .skip 8192
    .globl kstack2_top
kstack2_top:
    .skip 8192
    .globl user_stack_top
user_stack_top:
    .skip 16
