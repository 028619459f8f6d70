# interrupts: external interrupts through the 8259A PIC and 8254 PIT, and the interrupt shadows.
# SDM Vol.3 6.8.3 (STI / MOV SS / POP SS inhibit interrupts and debug exceptions for one
# instruction), 6.3.1 (external interrupts), Vol.2 HLT/STI; Intel 8259A and 8254 data sheets.
# Timing independent: only "an IRQ eventually arrives" (bounded polling loops).
.include "lib.inc"
    .section .rodata
    .globl test_name
test_name: .asciz "interrupts"
.set PIT_DIV, 1193                  # ~1 kHz
.set SPIN, 50000000
    .data
irq_count:  .long 0
irq_eip:    .long 0
irq_flags:  .long 0
irq_hflags: .long 0
irq_isr:    .long 0
irq_arm:    .long 0             # record irq_eip for the next interrupt only
    .text
# read_irr -> eax (master IRR, OCW3 read IRR)
read_irr:
    movb $0x0A, %al
    outb %al, $0x20
    inb $0x20, %al
    movzbl %al, %eax
    ret
read_isr:
    movb $0x0B, %al
    outb %al, $0x20
    inb $0x20, %al
    movzbl %al, %eax
    ret
# wait_pending: with IF=0, spin (bounded) until IRR bit 0 is set; eax = 1 if it is
wait_pending:
    pushl %ecx
    movl $SPIN, %ecx
1:  call read_irr
    testb $1, %al
    jnz 2f
    loop 1b
    xorl %eax, %eax
    popl %ecx
    ret
2:  movl $1, %eax
    popl %ecx
    ret

    .globl test_main
test_main:
# ---- PIC: ICW1..ICW4 (edge, cascade, vectors 0x20/0x28, 8086 mode), then OCW1 masks
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
    outb %al, $0xA1
    movb $0xFA, %al
    outb %al, $0x21
    inb $0x21, %al
    movzbl %al, %eax
    CHECK pic.imr_readback, %eax, $0xFA
    movb $0xFE, %al                 # only IRQ0
    outb %al, $0x21
    inb $0xA1, %al
    movzbl %al, %eax
    CHECK pic.slave_imr_readback, %eax, $0xFF
    IDT_SET 0x20, $irq0_handler, $G_INT32

# ---- PIT channel 0, mode 2 (rate generator), binary, lobyte/hibyte
    movb $0x34, %al
    outb %al, $0x43
    movb $(PIT_DIV & 0xFF), %al
    outb %al, $0x40
    movb $(PIT_DIV >> 8), %al
    outb %al, $0x40
    movb $0x00, %al                 # latch counter 0
    outb %al, $0x43
    inb $0x40, %al
    movb %al, %bl
    inb $0x40, %al
    movb %al, %bh
    movzwl %bx, %ebx
    CHECK_RANGE pit.counter_latch, %ebx, $0, $PIT_DIV

# ---- IRQ0 arrives with IF=1
    movl $0, irq_count
    sti
    movl $SPIN, %ecx
1:  cmpl $0, irq_count
    jne 2f
    loop 1b
2:  cli
    movl irq_count, %eax
    testl %eax, %eax
    setnz %al
    movzbl %al, %eax
    CHECK irq0.arrived, %eax, $1
    cmpl $0, irq_count
    je irq_dead                     # no timer interrupts: skip the rest, never hang
    movl irq_flags, %eax
    andl $F_IF, %eax
    CHECK irq0.pushed_if, %eax, $F_IF
    movl irq_hflags, %eax
    andl $F_IF, %eax
    CHECK irq0.handler_if_clear, %eax, $0
    movl irq_isr, %eax
    andl $1, %eax
    CHECK irq0.isr_before_eoi, %eax, $1
    call read_isr
    andl $1, %eax
    CHECK irq0.isr_after_eoi, %eax, $0

# ---- with IF=0 the request stays pending in the IRR and is not delivered
    movl irq_count, %ebx
    call wait_pending
    CHECK irq0.pending_in_irr, %eax, $1
    CHECK irq0.not_delivered_if0, irq_count, %ebx

# ---- STI shadow: the instruction after STI completes before the pending interrupt
    call wait_pending
    movl irq_count, %ebx
    movl $1, irq_arm
    sti
    movl irq_count, %ecx            # shadowed
sti_next:
    nop
    cli
    CHECK sti.shadowed_insn_first, %ecx, %ebx
    CHECK sti.interrupt_after_it, irq_eip, $sti_next
# ---- "sti; hlt" with an interrupt already pending: HLT is in the shadow, then woken
    call wait_pending
    movl $1, irq_arm
    sti
    hlt
hlt_next:
    cli
    CHECK stihlt.return_after_hlt, irq_eip, $hlt_next
# ---- "sti; hlt" waiting for the next interrupt
    movl $1, irq_arm
    sti
    hlt
hlt_next2:
    cli
    CHECK stihlt.wait_wakes, irq_eip, $hlt_next2
    movb $0xFF, %al                 # mask IRQ0 again
    outb %al, $0x21

# ---- MOV SS / POP SS shadow for single-step traps (6.8.3)
irq_dead:
    cli
    movb $0xFF, %al
    outb %al, $0x21
    movw %ss, %ax
    TRY 1f
    pushfl
    orl $F_TF, (%esp)
    popfl
    movw %ax, %ss                   # trap delayed past the next instruction
    nop
movss_2:
    nop
1:  CHECK_EXC movss.tf_shadow, $V_DB, $0, $movss_2
    TRY 1f
    pushl %ss
    pushfl
    orl $F_TF, (%esp)
    popfl
    popl %ss
    nop
popss_2:
    nop
1:  CHECK_EXC popss.tf_shadow, $V_DB, $0, $popss_2
    TRY 1f
    pushfl
    orl $F_TF, (%esp)
    popfl
    movw %ax, %ds                   # not SS: no shadow
ds_1:
    nop
1:  CHECK_EXC movds.no_shadow, $V_DB, $0, $ds_1
    IDT_RESET 0x20
    ret

irq0_handler:
    pushl %eax
    pushfl
    popl irq_hflags
    cmpl $0, irq_arm
    je 1f
    movl $0, irq_arm
    movl 4(%esp), %eax
    movl %eax, irq_eip
1:
    movl 12(%esp), %eax
    movl %eax, irq_flags
    movb $0x0B, %al                 # OCW3: read ISR
    outb %al, $0x20
    inb $0x20, %al
    movzbl %al, %eax
    movl %eax, irq_isr
    movb $0x20, %al                 # non-specific EOI
    outb %al, $0x20
    incl irq_count
    popl %eax
    iretl
