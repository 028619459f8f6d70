# h_devices: a hostile guest for the PCI, virtio-pci and IDE device models (not a t_ test: it
# needs --pv and drives, so BareMetalTest does not boot it; HostileDevicesTest does).
#
# With a seeded xorshift32 PRNG and interrupts off, for ITERATIONS rounds it does a random mix of:
#  - PCI configuration reads/writes through 0xCF8/0xCFC-0xCFF (any bus/device/function/offset and
#    value, command bits toggled, BARs sized, moved, disabled and restored);
#  - 8/16/32-bit reads/writes across each virtio device's BAR0 (common config, ISR, device
#    config, notify, reserved space) at wherever BAR0 currently is;
#  - "malformed descriptor chains": rings in RAM filled with random descriptors (loops, bad
#    next indices, INDIRECT tables with junk, nested INDIRECT, lengths up to 4 GiB, addresses
#    beyond RAM, in the VGA hole, in the PCI MMIO hole, above 4 GiB, straddling the end of RAM)
#    or with plausible virtio-blk requests, a queue pointed at them with a random size, status
#    bits set in random orders (DRIVER_OK early, without FEATURES_OK, no reset), notified;
#  - IDE: random register accesses on both channels, and command sequences (READ/WRITE DMA and
#    their EXT forms with PRD tables full of junk, PIO reads/writes, IDENTIFY, random opcodes)
#    with random LBAs/counts, bus-master start/stop with right and wrong directions;
#  - reads of random legacy ports.
# It never depends on a device answering: every loop is bounded. At the end it prints one
# summary line (iterations, accesses, a checksum of the register values read) and passes if its
# own code was not overwritten by any device (DMA is only pointed at RAM away from the kernel).
#
# Memory: the kernel lives in [1 MiB, 2 MiB). Every random value the guest writes to a register
# is "sanitized" (bytes 0x0F-0x1F become 0x4F-0x5F) so no BAR, ring or PRD pointer it composes,
# byte by byte, can land in [0xF0000, 0x200000). Rings, tables and buffers go to S (4 MiB at
# 4 MiB); the entropy device's buffers go to R (64 KiB at 9 MiB) only, so no other device ever
# copies host randomness into the output (the run is deterministic with --icount).
.include "lib.inc"
    .section .rodata
    .globl test_name
test_name: .asciz "h_devices"

.set ITERATIONS, 120000
.set SEED,       0x2545F491
.set S_BASE,     0x00400000
.set S_MASK,     0x003FFFFF
.set R_BASE,     0x00900000
.set R_MASK,     0x0000F7FF
.set MEM_TOP,    0x04000000     # the test gives the guest 64 MiB
.set SAFE_LOW,   0x00200000     # below this a BAR is not used (the kernel is at 1 MiB)
.set MAXFN,      16
.set MAXVIRT,    8

# virtio common configuration (virtio 1.1 4.1.4.3)
.set VC_DFSEL, 0x00
.set VC_DF,    0x04
.set VC_GFSEL, 0x08
.set VC_GF,    0x0C
.set VC_NUMQ,  0x12
.set VC_STATUS, 0x14
.set VC_QSEL,  0x16
.set VC_QSIZE, 0x18
.set VC_QEN,   0x1C
.set VC_QDESC, 0x20
.set VC_QDRV,  0x28
.set VC_QDEV,  0x30
.set V_ISR,    0x1000
.set V_NOTIFY, 0x3000

    .data
    .align 4
rng_state:  .long SEED
csum:       .long 0
n_iter:     .long 0
n_acc:      .long 0          # device register accesses (ports and MMIO)
n_cfgop:    .long 0
n_mmioop:   .long 0
n_chain:    .long 0
n_ideop:    .long 0
n_idecmd:   .long 0
n_bmop:     .long 0
n_legacy:   .long 0
text_sum0:  .long 0
cur_rng:    .long 0
nfn:        .long 0
fn_bdf:     .fill MAXFN, 4, 0
fn_cmd:     .fill MAXFN, 4, 0
fn_bar:     .fill MAXFN*6, 4, 0
nvirt:      .long 0
virt_fn:    .fill MAXVIRT, 4, 0
virt_orig:  .fill MAXVIRT, 4, 0
virt_bar:   .fill MAXVIRT, 4, 0
virt_rng:   .fill MAXVIRT, 4, 0
ide_fn:     .long -1
bm_orig:    .long 0
bm_port:    .long 0
# chain scenario state
ch_base:    .long 0
ch_order:   .long 0
ch_q:       .long 0
ch_nq:      .long 0
ch_size:    .long 0
ch_n:       .long 0
ch_desc:    .long 0
ch_drv:     .long 0
ch_dev:     .long 0
ch_fn:      .long 0
# IDE scenario state
ide_base:   .long 0
ide_ctl:    .long 0
ide_bm:     .long 0
ide_cmd:    .long 0
ide_prd:    .long 0

    .section .rodata
ide_ports:  .word 0x1F0,0x1F1,0x1F2,0x1F3,0x1F4,0x1F5,0x1F6,0x1F7,0x3F6
            .word 0x170,0x171,0x172,0x173,0x174,0x175,0x176,0x177,0x376
.set N_IDE_PORTS, 18
ide_cmds:   .byte 0xC8,0xCA,0x25,0x35,0xC8,0xCA,0x20,0x30,0x24,0x34,0xC4,0xC5,0xEC,0xEC
            .byte 0xEF,0xC6,0xE7,0xEA,0x40,0x42,0x91,0x08,0x90,0xE5,0xE0,0x29,0x39,0x70
.set N_IDE_CMDS, 28

    .text
# ---------------------------------------------------------------- PRNG and values
# rand -> eax (xorshift32); preserves everything else
rand:
    pushl %edx
    movl rng_state, %eax
    movl %eax, %edx
    shll $13, %edx
    xorl %edx, %eax
    movl %eax, %edx
    shrl $17, %edx
    xorl %edx, %eax
    movl %eax, %edx
    shll $5, %edx
    xorl %edx, %eax
    movl %eax, rng_state
    popl %edx
    ret

# randmod: eax = rand % ecx (0 if ecx is 0)
randmod:
    pushl %edx
    call rand
    testl %ecx, %ecx
    jz 1f
    xorl %edx, %edx
    divl %ecx
    movl %edx, %eax
    popl %edx
    ret
1:  xorl %eax, %eax
    popl %edx
    ret

.macro RANDN n
    pushl %ecx
    movl \n, %ecx
    call randmod
    popl %ecx
.endm

# sanitize eax: every byte 0x0F-0x1F becomes 0x4F-0x5F (see the header)
sanitize:
    pushl %ecx
    movl $4, %ecx
1:  cmpb $0x0F, %al
    jb 2f
    cmpb $0x1F, %al
    ja 2f
    xorb $0x40, %al
2:  rorl $8, %eax
    loop 1b
    popl %ecx
    ret

# gen_val -> eax: a random register value (small, byte, word or dword), sanitized
gen_val:
    RANDN $4
    testl %eax, %eax
    jnz 1f
    RANDN $4
    ret
1:  cmpl $1, %eax
    jne 2f
    call rand
    andl $0xFF, %eax
    jmp 9f
2:  cmpl $2, %eax
    jne 3f
    call rand
    andl $0xFFFF, %eax
    jmp 9f
3:  call rand
9:  call sanitize
    ret

# rand_width -> ecx = 1, 2 or 4
rand_width:
    pushl %eax
    RANDN $3
    movl %eax, %ecx
    movl $1, %eax
    shll %cl, %eax
    movl %eax, %ecx
    popl %eax
    ret

# gen_addr -> edx:eax, a DMA address: mostly S (R for the entropy device), else junk
gen_addr:
    xorl %edx, %edx
    RANDN $16
    cmpl $9, %eax
    jb .Lga_ram
    je .Lga_low
    cmpl $10, %eax
    je .Lga_end
    cmpl $11, %eax
    je .Lga_beyond
    cmpl $12, %eax
    je .Lga_hole
    cmpl $13, %eax
    je .Lga_high
    cmpl $14, %eax
    je .Lga_vga
    call rand                     # 15: any value; inside RAM it is moved into S / R
    call sanitize
    cmpl $MEM_TOP, %eax
    jae 9f
    jmp .Lga_fold
.Lga_ram:
    call rand
.Lga_fold:
    cmpl $0, cur_rng
    jne 1f
    andl $S_MASK, %eax
    addl $S_BASE, %eax
    ret
1:  andl $R_MASK, %eax
    addl $R_BASE, %eax
    ret
.Lga_low:
    cmpl $0, cur_rng
    jne .Lga_ram
    call rand
    andl $0x7FFFF, %eax           # below the VGA hole
    ret
.Lga_end:
    call rand
    andl $0xFFF, %eax
    cmpl $0, cur_rng
    jne 1f
    negl %eax
    addl $MEM_TOP, %eax           # just below the end of RAM: long buffers straddle it
    ret
1:  addl $MEM_TOP, %eax           # the entropy device only at or past the end
    ret
.Lga_beyond:
    call rand
    andl $0x1FFFFFFF, %eax
    orl $0x08000000, %eax
    ret
.Lga_hole:
    call rand
    orl $0xE0000000, %eax         # the PCI MMIO hole, where the BARs are
    ret
.Lga_high:
    call rand
    movl %eax, %edx
    orl $1, %edx                  # above 4 GiB
    call rand
    ret
.Lga_vga:
    call rand
    andl $0x1FFFF, %eax
    addl $0xA0000, %eax
9:  ret

# gen_len -> eax: a buffer length, small (< 2 KiB, so no used length reaches 1 MiB) or huge
gen_len:
    RANDN $16
    cmpl $11, %eax
    jae 1f
    call rand
    andl $0x7FF, %eax
    ret
1:  je 2f
    cmpl $12, %eax
    je 3f
    cmpl $13, %eax
    je 4f
    cmpl $14, %eax
    je 5f
    RANDN $17
    shll $4, %eax                 # a multiple of 16 (an indirect table length)
    ret
2:  xorl %eax, %eax
    ret
3:  movl $0xFFFFFFFF, %eax
    ret
4:  call rand
    orl $0x80000000, %eax
    ret
5:  call rand
    andl $0x0FFFFFFF, %eax
    orl $0x10000000, %eax
    ret

# mix eax into the checksum
mix:
    roll $5, csum
    xorl %eax, csum
    ret

# ---------------------------------------------------------------- port and MMIO accesses
# io_read: dx = port, ecx = width -> eax (mixed into the checksum)
io_read:
    call io_read_raw
    jmp mix
io_read_raw:
    incl n_acc
    xorl %eax, %eax
    cmpl $1, %ecx
    je 1f
    cmpl $2, %ecx
    je 2f
    inl %dx, %eax
    ret
1:  inb %dx, %al
    ret
2:  inw %dx, %ax
    ret
# io_write: dx = port, ecx = width, eax = value
io_write:
    incl n_acc
    cmpl $1, %ecx
    je 1f
    cmpl $2, %ecx
    je 2f
    outl %eax, %dx
    ret
1:  outb %al, %dx
    ret
2:  outw %ax, %dx
    ret
# mmio_read: ebx = address, ecx = width -> eax (mixed)
mmio_read:
    incl n_acc
    xorl %eax, %eax
    cmpl $1, %ecx
    je 1f
    cmpl $2, %ecx
    je 2f
    movl (%ebx), %eax
    jmp mix
1:  movb (%ebx), %al
    jmp mix
2:  movw (%ebx), %ax
    jmp mix
# mmio_write: ebx = address, ecx = width, eax = value
mmio_write:
    incl n_acc
    cmpl $1, %ecx
    je 1f
    cmpl $2, %ecx
    je 2f
    movl %eax, (%ebx)
    ret
1:  movb %al, (%ebx)
    ret
2:  movw %ax, (%ebx)
    ret

# ---------------------------------------------------------------- PCI configuration
# cfg_read32: eax = CONFIG_ADDRESS -> eax
cfg_read32:
    pushl %edx
    movw $0xCF8, %dx
    outl %eax, %dx
    movw $0xCFC, %dx
    inl %dx, %eax
    addl $2, n_acc
    popl %edx
    ret
# cfg_write32: eax = CONFIG_ADDRESS, ebx = value
cfg_write32:
    pushl %edx
    movw $0xCF8, %dx
    outl %eax, %dx
    movw $0xCFC, %dx
    movl %ebx, %eax
    outl %eax, %dx
    addl $2, n_acc
    popl %edx
    ret
# cfg_write16: eax = CONFIG_ADDRESS (bit 1 selects the half), ebx = value
cfg_write16:
    pushl %edx
    movl %eax, %edx
    andl $2, %edx
    pushl %edx
    movw $0xCF8, %dx
    outl %eax, %dx
    popl %edx
    addw $0xCFC, %dx
    movl %ebx, %eax
    outw %ax, %dx
    addl $2, n_acc
    popl %edx
    ret

# pci_scan: every function on bus 0: BARs, command; the virtio devices and the IDE function
pci_scan:
    pushal
    xorl %esi, %esi               # device*8+function
1:  movl %esi, %eax
    shll $8, %eax
    orl $0x80000000, %eax
    movl %eax, %ebp               # bdf
    call cfg_read32
    cmpw $0xFFFF, %ax
    je 5f
    movl %eax, %ebx               # vendor/device
    movl nfn, %edi
    cmpl $MAXFN, %edi
    jae 5f
    movl %ebp, fn_bdf(,%edi,4)
    movl %ebp, %eax
    orl $4, %eax
    call cfg_read32
    andl $0xFFFF, %eax
    movl %eax, fn_cmd(,%edi,4)
    xorl %ecx, %ecx
2:  leal 0x10(%ebp,%ecx,4), %eax
    call cfg_read32
    leal (%edi,%edi,2), %edx
    leal (%ecx,%edx,2), %edx      # edi*6 + ecx
    movl %eax, fn_bar(,%edx,4)
    incl %ecx
    cmpl $6, %ecx
    jne 2b
    incl nfn
    cmpw $0x1AF4, %bx
    jne 3f
    movl nvirt, %edx
    cmpl $MAXVIRT, %edx
    jae 5f
    movl %edi, virt_fn(,%edx,4)
    leal (%edi,%edi,2), %eax
    movl fn_bar(,%eax,8), %eax    # BAR0 = fn_bar[edi*6]
    andl $0xFFFFFFF0, %eax
    movl %eax, virt_orig(,%edx,4)
    movl %eax, virt_bar(,%edx,4)
    xorl %eax, %eax
    cmpl $0x10441AF4, %ebx        # virtio-rng (device 0x1040 + 4)
    jne 4f
    incl %eax
4:  movl %eax, virt_rng(,%edx,4)
    incl nvirt
    jmp 5f
3:  cmpl $0x70108086, %ebx        # PIIX3 IDE
    jne 5f
    movl %edi, ide_fn
    leal (%edi,%edi,2), %eax
    movl fn_bar+16(,%eax,8), %eax # BAR4
    andl $0xFFFC, %eax
    movl %eax, bm_orig
    movl %eax, bm_port
5:  incl %esi
    cmpl $256, %esi
    jne 1b
    popal
    ret

# refresh_bars: where BAR0 of each virtio device and BAR4 of the IDE function are now (a BAR
# the guest put somewhere unusable - below 2 MiB, or an I/O BAR below 0x1000 where it would hit
# COM1 or isa-debug-exit - is replaced by its original place for our own accesses)
refresh_bars:
    pushal
    xorl %esi, %esi
1:  cmpl nvirt, %esi
    jae 3f
    movl virt_fn(,%esi,4), %edi
    movl fn_bdf(,%edi,4), %eax
    orl $0x10, %eax
    call cfg_read32
    andl $0xFFFFFFF0, %eax
    cmpl $SAFE_LOW, %eax
    jae 2f
    movl virt_orig(,%esi,4), %eax
2:  movl %eax, virt_bar(,%esi,4)
    incl %esi
    jmp 1b
3:  movl ide_fn, %edi
    testl %edi, %edi
    js 5f
    movl fn_bdf(,%edi,4), %eax
    orl $0x20, %eax
    call cfg_read32
    andl $0xFFFC, %eax
    cmpl $0x1000, %eax
    jae 4f
    movl bm_orig, %eax
4:  movl %eax, bm_port
5:  popal
    ret

# repair: every function back to its original BARs and command (decode off while moving),
# IDE decode enabled: the storm keeps reaching the devices
repair:
    pushal
    xorl %esi, %esi
1:  cmpl nfn, %esi
    jae 2f
    movl fn_bdf(,%esi,4), %eax
    orl $4, %eax
    xorl %ebx, %ebx
    call cfg_write16
    incl %esi
    jmp 1b
2:  xorl %esi, %esi
3:  cmpl nfn, %esi
    jae 6f
    xorl %ecx, %ecx
4:  movl fn_bdf(,%esi,4), %eax
    leal 0x10(%eax,%ecx,4), %eax
    leal (%esi,%esi,2), %edx
    leal (%ecx,%edx,2), %edx
    movl fn_bar(,%edx,4), %ebx
    call cfg_write32
    incl %ecx
    cmpl $6, %ecx
    jne 4b
    movl fn_bdf(,%esi,4), %eax
    orl $4, %eax
    movl fn_cmd(,%esi,4), %ebx
    call cfg_write16
    incl %esi
    jmp 3b
6:  movl ide_fn, %esi
    testl %esi, %esi
    js 7f
    movl fn_bdf(,%esi,4), %eax
    orl $0x40, %eax
    movl $0x80008000, %ebx        # IDETIM primary and secondary: IDE Decode Enable
    call cfg_write32
7:  popal
    ret

# ensure_fn: esi = function index: original BARs back and IO|MEM|MASTER on (50% of the time)
ensure_fn:
    pushal
    RANDN $2
    testl %eax, %eax
    jz 9f
    xorl %ecx, %ecx
1:  movl fn_bdf(,%esi,4), %eax
    leal 0x10(%eax,%ecx,4), %eax
    leal (%esi,%esi,2), %edx
    leal (%ecx,%edx,2), %edx
    movl fn_bar(,%edx,4), %ebx
    call cfg_write32
    incl %ecx
    cmpl $6, %ecx
    jne 1b
    movl fn_bdf(,%esi,4), %eax
    orl $4, %eax
    movl $7, %ebx
    call cfg_write16
    cmpl ide_fn, %esi
    jne 9f
    movl fn_bdf(,%esi,4), %eax
    orl $0x40, %eax
    movl $0x80008000, %ebx
    call cfg_write32
9:  popal
    call refresh_bars
    ret

# text_sum -> eax: sum of the kernel's code dwords
text_sum:
    pushl %esi
    movl $_start, %esi
    xorl %eax, %eax
1:  addl (%esi), %eax
    addl $4, %esi
    cmpl $h_text_end, %esi
    jb 1b
    popl %esi
    ret

# ---------------------------------------------------------------- the storm
    .globl test_main
test_main:
    call text_sum
    movl %eax, text_sum0
    call pci_scan
    call refresh_bars
    PRINT "functions "
    PRINTHEX nfn
    PRINT " virtio "
    PRINTHEX nvirt
    PRINT " bus master port "
    PRINTHEX bm_port
    PRINT "\n"
    CHECK_RANGE "virtio devices found", nvirt, $1, $MAXVIRT
    CHECK_RANGE "IDE bus master BAR found", bm_port, $0x1000, $0xFFF0

main_loop:
    movl n_iter, %eax
    testl $63, %eax
    jnz 1f
    call refresh_bars
1:  testl $511, %eax
    jnz 2f
    call repair
    call refresh_bars
2:  RANDN $100
    cmpl $10, %eax
    jb 10f
    cmpl $13, %eax
    jb 11f
    cmpl $15, %eax
    jb 12f
    cmpl $40, %eax
    jb 13f
    cmpl $48, %eax
    jb 14f
    cmpl $68, %eax
    jb 15f
    cmpl $80, %eax
    jb 16f
    cmpl $90, %eax
    jb 17f
    call op_legacy
    jmp 20f
10: call op_cfg_random
    jmp 20f
11: call op_cfg_command
    jmp 20f
12: call op_cfg_movebar
    jmp 20f
13: call op_virtio_mmio
    jmp 20f
14: call op_chain
    jmp 20f
15: call op_ide_random
    jmp 20f
16: call op_ide_cmd
    jmp 20f
17: call op_bm_random
20: incl n_iter
    cmpl $ITERATIONS, n_iter
    jb main_loop

    call repair
    movw $0x3FB, %dx               # COM1 LCR back to 8N1, DLAB off (nothing should have changed it)
    movb $3, %al
    outb %al, %dx
    PRINT "\nh_devices: iterations "
    PRINTHEX n_iter
    PRINT " accesses "
    PRINTHEX n_acc
    PRINT " checksum "
    PRINTHEX csum
    PRINT "\nops: cfg "
    PRINTHEX n_cfgop
    PRINT " mmio "
    PRINTHEX n_mmioop
    PRINT " chains "
    PRINTHEX n_chain
    PRINT " ide "
    PRINTHEX n_ideop
    PRINT " idecmd "
    PRINTHEX n_idecmd
    PRINT " bm "
    PRINTHEX n_bmop
    PRINT " legacy "
    PRINTHEX n_legacy
    PRINT "\n"
    call text_sum
    CHECK "kernel code intact", %eax, text_sum0
    ret

# pick_fn -> esi = a random found function index
pick_fn:
    RANDN nfn
    movl %eax, %esi
    ret

# ---- PCI configuration space: any address, offset, width; read or write
op_cfg_random:
    incl n_cfgop
    RANDN $10
    cmpl $7, %eax
    jae 1f
    call pick_fn
    movl fn_bdf(,%esi,4), %ebx
    RANDN $256
    movl %eax, %edi
    andl $0xFC, %eax
    orl %eax, %ebx
    jmp 2f
1:  call rand                     # any CONFIG_ADDRESS: other buses, disabled, reserved bits
    movl %eax, %ebx
    call rand
    movl %eax, %edi
2:  movl %ebx, %eax
    movw $0xCF8, %dx
    movl $4, %ecx
    call io_write
    movl %edi, %edx
    andl $3, %edx
    addl $0xCFC, %edx
    call rand_width
    RANDN $10
    cmpl $4, %eax
    jae 3f
    call gen_val
    jmp io_write
3:  jmp io_read

# ---- command register: decode and bus master bits on and off
op_cfg_command:
    incl n_cfgop
    call pick_fn
    RANDN $8
    movl %eax, %ebx
    RANDN $5
    testl %eax, %eax
    jnz 1f
    call gen_val
    andl $0xFFFF, %eax
    orl %eax, %ebx
1:  movl fn_bdf(,%esi,4), %eax
    orl $4, %eax
    call cfg_write16
    movl fn_bdf(,%esi,4), %eax
    orl $4, %eax
    call cfg_read32
    call mix
    ret

# ---- size a BAR and put it somewhere (original, shifted, MMIO hole, 0, random)
op_cfg_movebar:
    incl n_cfgop
    call pick_fn
    RANDN $6
    movl %eax, %ecx
    leal (%esi,%esi,2), %edx
    leal (%ecx,%edx,2), %edx
    movl fn_bar(,%edx,4), %edi    # original value
    movl fn_bdf(,%esi,4), %ebp
    leal 0x10(%ebp,%ecx,4), %ebp  # CONFIG_ADDRESS of the BAR
    movl %ebp, %eax
    movl $0xFFFFFFFF, %ebx
    call cfg_write32
    movl %ebp, %eax
    call cfg_read32
    call mix
    RANDN $6
    cmpl $1, %eax
    je 1f
    cmpl $2, %eax
    je 2f
    cmpl $3, %eax
    je 3f
    cmpl $4, %eax
    je 4f
    movl %edi, %ebx               # back where it was
    jmp 8f
1:  RANDN $16                     # shifted by a multiple of its size (I/O: 16, memory: 16 KiB)
    movl %eax, %ebx
    shll $4, %ebx
    testl $1, %edi
    jnz 5f
    shll $10, %ebx
5:  addl %edi, %ebx
    jmp 8f
2:  call rand
    andl $0x0FFFC000, %eax
    orl $0xE0000000, %eax
    movl %eax, %ebx
    jmp 8f
3:  xorl %ebx, %ebx
    jmp 8f
4:  call rand
    call sanitize
    movl %eax, %ebx
8:  movl %ebp, %eax
    call cfg_write32
    call refresh_bars
    ret

# ---- random accesses across a virtio BAR (4 per op)
op_virtio_mmio:
    cmpl $0, nvirt
    je 9f
    incl n_mmioop
    RANDN nvirt
    movl virt_bar(,%eax,4), %ebp
    movl $4, %edi
1:  RANDN $20
    cmpl $9, %eax
    jb 2f
    cmpl $11, %eax
    jb 3f
    cmpl $14, %eax
    jb 4f
    cmpl $18, %eax
    jb 5f
    RANDN $0x4000
    jmp 6f
2:  RANDN $0x40
    jmp 6f
3:  RANDN $4
    addl $V_ISR, %eax
    jmp 6f
4:  RANDN $0x100
    addl $0x2000, %eax
    jmp 6f
5:  RANDN $16
    addl $V_NOTIFY, %eax
6:  call rand_width
    leal -1(%ecx), %edx
    notl %edx
    andl %edx, %eax               # aligned to the width
    leal (%ebp,%eax), %ebx
    RANDN $2
    testl %eax, %eax
    jz 7f
    call gen_val
    call mmio_write
    jmp 8f
7:  call mmio_read
8:  decl %edi
    jnz 1b
9:  ret

# ---- malformed (and some well-formed) descriptor chains on a random queue
op_chain:
    cmpl $0, nvirt
    je 99f
    incl n_chain
    RANDN nvirt
    movl %eax, %ebx
    movl virt_rng(,%ebx,4), %eax
    movl %eax, cur_rng
    movl virt_fn(,%ebx,4), %esi
    movl %esi, ch_fn
    pushl %ebx
    call ensure_fn
    popl %ebx
    movl virt_bar(,%ebx,4), %edi
    RANDN $8
    movl %eax, ch_order
    call rand
    andl $0x3FC000, %eax
    addl $S_BASE, %eax
    movl %eax, ch_base
    movzwl VC_NUMQ(%edi), %eax
    call mix
    incl n_acc
    testl %eax, %eax
    jz 1f
    cmpl $8, %eax
    jbe 2f
1:  movl $2, %eax
2:  movl %eax, ch_nq
    incl %eax
    RANDN %eax                    # sometimes a queue that does not exist
    movl %eax, ch_q
    # reset (unless order 2), ACKNOWLEDGE, DRIVER
    cmpl $2, ch_order
    je 3f
    movb $0, VC_STATUS(%edi)
3:  movb $1, VC_STATUS(%edi)
    movb $3, VC_STATUS(%edi)
    addl $3, n_acc
    # features: INDIRECT/EVENT_IDX at random (sometimes junk), VERSION_1 (mostly)
    movl $0, VC_DFSEL(%edi)
    movl VC_DF(%edi), %eax
    call mix
    movl $0, VC_GFSEL(%edi)
    call rand
    andl $0x30000000, %eax
    movl %eax, %ebx
    RANDN $16
    testl %eax, %eax
    jnz 4f
    call gen_val
    orl %eax, %ebx
4:  movl %ebx, VC_GF(%edi)
    movl $1, VC_GFSEL(%edi)
    movl $1, %ebx
    RANDN $16
    testl %eax, %eax
    jnz 5f
    RANDN $4
    movl %eax, %ebx
5:  movl %ebx, VC_GF(%edi)
    addl $6, n_acc
    cmpl $1, ch_order
    je 6f
    movb $0x0B, VC_STATUS(%edi)   # FEATURES_OK
    movzbl VC_STATUS(%edi), %eax
    call mix
    addl $2, n_acc
6:  cmpl $0, ch_order
    jne 7f
    movb $0x0F, VC_STATUS(%edi)   # DRIVER_OK before the queue is set up
    incl n_acc
7:  movl ch_q, %eax
    movw %ax, VC_QSEL(%edi)
    movzwl VC_QSIZE(%edi), %ebx   # the maximum (0 for a missing queue)
    movl %ebx, %eax
    call mix
    addl $2, n_acc
    RANDN $10
    cmpl $7, %eax
    jae 8f
    RANDN $9
    movl %eax, %ecx
    movl $1, %eax
    shll %cl, %eax
    testl %ebx, %ebx
    jz 9f
    cmpl %ebx, %eax
    jbe 9f
    movl %ebx, %eax
    jmp 9f
8:  call gen_val
    andl $0xFFFF, %eax
9:  movl %eax, ch_size
    movw %ax, VC_QSIZE(%edi)
    incl n_acc
    # the rings, for min(size, 256) entries (at least 1)
    andl $0xFFFF, %eax
    jnz 10f
    incl %eax
10: cmpl $256, %eax
    jbe 11f
    movl $256, %eax
11: movl %eax, ch_n
    call gen_rings
    movl ch_base, %eax
    movl %eax, ch_desc
    addl $0x1000, %eax
    movl %eax, ch_drv
    addl $0x400, %eax
    movl %eax, ch_dev
    RANDN $24
    cmpl $0, %eax
    jne 12f
    addl $8, ch_desc              # misaligned descriptor table
    jmp 14f
12: cmpl $1, %eax
    jne 13f
    addl $2, ch_dev               # misaligned used ring
    jmp 14f
13: cmpl $2, %eax
    jne 14f
    pushl %edx
    pushl cur_rng
    movl $0, cur_rng              # rings are never in R (they would hold host randomness)
    call gen_addr                 # a ring anywhere (mostly not RAM)
    popl cur_rng
    popl %edx
    andl $0xFFFFFFF0, %eax
    movl %eax, ch_drv
14: movl ch_desc, %eax
    movl %eax, VC_QDESC(%edi)
    movl $0, VC_QDESC+4(%edi)
    movl ch_drv, %eax
    movl %eax, VC_QDRV(%edi)
    movl $0, VC_QDRV+4(%edi)
    movl ch_dev, %eax
    movl %eax, VC_QDEV(%edi)
    xorl %eax, %eax
    RANDN $32
    testl %eax, %eax
    jnz 15f
    incl %eax                     # used ring above 4 GiB
    jmp 16f
15: xorl %eax, %eax
16: movl %eax, VC_QDEV+4(%edi)
    addl $6, n_acc
    RANDN $10
    testl %eax, %eax
    jz 17f
    movw $1, VC_QEN(%edi)
    incl n_acc
17: movb $0x0F, %al
    cmpl $1, ch_order
    jne 18f
    movb $0x07, %al               # DRIVER_OK without FEATURES_OK
18: movb %al, VC_STATUS(%edi)
    incl n_acc
    # notify 1-3 times (the right queue, or any)
    RANDN $3
    leal 1(%eax), %ebx
19: RANDN $5
    testl %eax, %eax
    jnz 20f
    RANDN $8                      # any queue index
    jmp 21f
20: movl ch_q, %eax
21: movl %eax, %ecx
    RANDN ch_nq                   # notify slot
    movw %cx, V_NOTIFY(%edi,%eax,4)
    incl n_acc
    decl %ebx
    jnz 19b
    movzbl V_ISR(%edi), %eax
    call mix
    movzbl VC_STATUS(%edi), %eax
    call mix
    movzwl VC_QEN(%edi), %eax
    call mix
    addl $3, n_acc
99: movl $0, cur_rng
    ret

# gen_rings: descriptor table at ch_base, avail ring at +0x1000, used ring at +0x1400, indirect
# tables at +0x2000 (8 x 256 bytes), request headers at +0x3000; ch_n entries
gen_rings:
    pushal
    movl ch_base, %ebp
    movl ch_n, %ecx
    RANDN $10
    cmpl $3, %eax
    jae .Lgr_junk
    cmpl $3, %ecx
    jb .Lgr_junk
    # well-formed virtio-blk-like requests: header, data, status, in groups of three
    movl %ecx, %eax
    xorl %edx, %edx
    movl $3, %ebx
    divl %ebx
    movl %eax, %esi               # groups
    xorl %edi, %edi               # group index
1:  leal (%edi,%edi,2), %ebx
    shll $4, %ebx
    addl %ebp, %ebx               # &desc[3*k]
    movl %edi, %eax
    shll $4, %eax
    leal 0x3000(%ebp,%eax), %edx  # header
    RANDN $8
    cmpl $3, %eax
    jb 2f
    cmpl $6, %eax
    jb 3f
    je 4f
    movl $8, %eax                 # GET_ID
    jmp 5f
2:  xorl %eax, %eax               # IN
    jmp 5f
3:  movl $1, %eax                 # OUT
    jmp 5f
4:  movl $4, %eax                 # FLUSH
5:  movl %eax, (%edx)
    pushl %eax                    # type
    movl $0, 4(%edx)
    RANDN $10
    testl %eax, %eax
    jnz 6f
    call rand
    movl %eax, 8(%edx)
    call rand
    movl %eax, 12(%edx)
    jmp 7f
6:  RANDN $8200                   # sectors around the end of the 4 MiB disk
    movl %eax, 8(%edx)
    movl $0, 12(%edx)
7:  movl %edx, (%ebx)
    movl $0, 4(%ebx)
    movl $16, 8(%ebx)
    leal (%edi,%edi,2), %eax
    incl %eax
    shll $16, %eax
    orl $1, %eax                  # NEXT, next = 3k+1
    movl %eax, 12(%ebx)
    # data
    RANDN $7
    testl %eax, %eax
    jnz 8f
    call gen_addr
    jmp 9f
8:  call rand
    xorl %edx, %edx
    cmpl $0, cur_rng
    jne 81f
    andl $S_MASK, %eax
    addl $S_BASE, %eax
    jmp 9f
81: andl $R_MASK, %eax
    addl $R_BASE, %eax
9:  movl %eax, 16(%ebx)
    movl %edx, 20(%ebx)
    RANDN $4
    incl %eax
    shll $9, %eax                 # 512 - 2048 bytes
    movl %eax, 24(%ebx)
    popl %eax                     # type: IN and GET_ID write the data
    movl $1, %edx
    cmpl $0, %eax
    je 10f
    cmpl $8, %eax
    jne 11f
10: orl $2, %edx
11: leal (%edi,%edi,2), %eax
    addl $2, %eax
    shll $16, %eax
    orl %edx, %eax
    movl %eax, 28(%ebx)
    # status byte
    call rand
    xorl %edx, %edx
    cmpl $0, cur_rng
    jne 12f
    andl $S_MASK, %eax
    addl $S_BASE, %eax
    jmp 13f
12: andl $R_MASK, %eax
    addl $R_BASE, %eax
13: movl %eax, 32(%ebx)
    movl $0, 36(%ebx)
    movl $1, 40(%ebx)
    movl $2, 44(%ebx)             # WRITE, no NEXT
    incl %edi
    cmpl %esi, %edi
    jb 1b
    # avail: up to 4 requests
    movl %esi, %ecx
    cmpl $4, %ecx
    jbe 14f
    movl $4, %ecx
14: RANDN %ecx
    incl %eax
    movl %eax, %ecx               # idx
    leal 0x1000(%ebp), %ebx
    RANDN $2
    movw %ax, (%ebx)
    movw %cx, 2(%ebx)
    xorl %edi, %edi
15: leal (%edi,%edi,2), %eax
    movw %ax, 4(%ebx,%edi,2)
    incl %edi
    cmpl %ecx, %edi
    jb 15b
    call rand
    movl ch_n, %edx
    movw %ax, 4(%ebx,%edx,2)      # used_event
    jmp .Lgr_used

.Lgr_junk:
    xorl %edi, %edi
1:  movl %edi, %ebx
    shll $4, %ebx
    addl %ebp, %ebx
    call gen_desc
    # a proper indirect table (full of junk) for half of the INDIRECT descriptors
    testl $4, 12(%ebx)
    jz 3f
    RANDN $2
    testl %eax, %eax
    jz 3f
    movl %edi, %eax
    andl $7, %eax
    shll $8, %eax
    leal 0x2000(%ebp,%eax), %eax
    movl %eax, (%ebx)
    movl $0, 4(%ebx)
    RANDN $16
    incl %eax
    shll $4, %eax
    movl %eax, 8(%ebx)
    pushl %ebx
    pushl %edi
    pushl %ecx
    movl (%ebx), %ebx
    movl $16, %edi
2:  movl $16, %ecx                # junk "next" within 16 mostly
    call gen_desc
    addl $16, %ebx
    decl %edi
    jnz 2b
    popl %ecx
    popl %edi
    popl %ebx
3:  incl %edi
    cmpl %ecx, %edi
    jb 1b
    # avail ring
    leal 0x1000(%ebp), %ebx
    RANDN $2
    movw %ax, (%ebx)
    RANDN $10
    cmpl $7, %eax
    jae 4f
    RANDN %ecx
    incl %eax
    jmp 5f
4:  call rand
5:  movw %ax, 2(%ebx)
    xorl %edi, %edi
6:  RANDN $8
    testl %eax, %eax
    jnz 7f
    call rand
    jmp 8f
7:  RANDN %ecx
8:  movw %ax, 4(%ebx,%edi,2)
    incl %edi
    cmpl %ecx, %edi
    jb 6b
    call rand
    movw %ax, 4(%ebx,%edi,2)      # used_event

.Lgr_used:
    movl $0, 0x1400(%ebp)         # used flags and idx
    popal
    ret

# gen_desc: a random descriptor at ebx; ecx = table size for "next". An INDIRECT descriptor's
# table is never in R (it would hold host randomness), whichever device this is for.
gen_desc:
    pushl %edx
    RANDN $16
    cmpl $6, %eax
    jb 1f
    cmpl $9, %eax
    jb 2f
    cmpl $11, %eax
    jb 3f
    je 4f
    cmpl $14, %eax
    jb 5f
    je 6f
    call rand
    jmp 7f
1:  movl $1, %eax                 # NEXT
    jmp 7f
2:  movl $3, %eax                 # NEXT | WRITE
    jmp 7f
3:  movl $2, %eax                 # WRITE
    jmp 7f
4:  xorl %eax, %eax
    jmp 7f
5:  movl $4, %eax                 # INDIRECT
    jmp 7f
6:  movl $5, %eax                 # INDIRECT | NEXT
7:  movw %ax, 12(%ebx)
    pushl cur_rng
    testl $4, %eax
    jz 71f
    movl $0, cur_rng
71: call gen_addr
    popl cur_rng
    movl %eax, (%ebx)
    movl %edx, 4(%ebx)
    call gen_len
    movl %eax, 8(%ebx)
    RANDN $4
    testl %eax, %eax
    jnz 8f
    call rand
    jmp 9f
8:  RANDN %ecx                    # often a loop
9:  movw %ax, 14(%ebx)
    popl %edx
    ret

# ---- IDE registers at random (4 accesses)
op_ide_random:
    incl n_ideop
    movl $4, %edi
1:  RANDN $N_IDE_PORTS
    movzwl ide_ports(,%eax,2), %edx
    movl $1, %ecx
    RANDN $6
    testl %eax, %eax
    jnz 2f
    call rand_width
2:  cmpw $0x1F0, %dx              # the data registers take 16/32-bit accesses
    je 3f
    cmpw $0x170, %dx
    jne 4f
3:  call rand_width
4:  RANDN $10
    cmpl $4, %eax
    jae 5f
    call gen_val
    call io_write
    jmp 6f
5:  call io_read
6:  decl %edi
    jnz 1b
    ret

# ---- an IDE command with its registers, PRD table, bus-master start/stop or PIO data
op_ide_cmd:
    incl n_idecmd
    movl $0, cur_rng
    movl ide_fn, %esi
    testl %esi, %esi
    js 1f
    call ensure_fn
1:  movl $0x1F0, ide_base
    movl $0x3F6, ide_ctl
    movl bm_port, %eax
    movl %eax, ide_bm
    RANDN $5
    testl %eax, %eax
    jnz 2f
    movl $0x170, ide_base
    movl $0x376, ide_ctl
    addl $8, ide_bm
2:  RANDN $10                     # sometimes a soft reset first, sometimes nIEN
    testl %eax, %eax
    jnz 3f
    movl ide_ctl, %edx
    movl $1, %ecx
    movl $4, %eax
    call io_write
    xorl %eax, %eax
    call io_write
3:  RANDN $10
    cmpl $1, %eax
    jne 4f
    movl ide_ctl, %edx
    movl $1, %ecx
    movl $2, %eax
    call io_write
    # device/head
4:  movl ide_base, %edx
    addl $6, %edx
    movl $1, %ecx
    RANDN $10
    cmpl $8, %eax
    jae 5f
    RANDN $8
    testl %eax, %eax
    jnz 51f
    RANDN $16                     # LBA bits 27:24 (beyond the disk)
    jmp 52f
51: xorl %eax, %eax
52: orl $0xE0, %eax               # LBA, device 0
    jmp 7f
5:  je 6f
    call gen_val
    jmp 7f
6:  movl $0xF0, %eax              # device 1 (absent)
7:  call io_write
    # features, count, LBA: each twice (HOB byte first, as for the 48-bit commands)
    movl ide_base, %edx
    incl %edx
    call gen_val
    call io_write
    call gen_val
    call io_write
    incl %edx                     # sector count
    RANDN $5
    testl %eax, %eax
    jz 8f
    xorl %eax, %eax
    jmp 81f
8:  call gen_val
81: call io_write
    RANDN $4
    testl %eax, %eax
    jz 82f
    RANDN $16
    incl %eax
    jmp 83f
82: call gen_val
83: call io_write
    incl %edx                     # LBA low (HOB, then low)
    xorl %eax, %eax
    call io_write
    call rand
    call io_write
    incl %edx                     # LBA mid
    xorl %eax, %eax
    call io_write
    RANDN $0x22                   # LBA < 8704: around the end of the 4 MiB disk
    call io_write
    incl %edx                     # LBA high
    RANDN $8
    testl %eax, %eax
    jnz 84f
    call gen_val
    jmp 85f
84: xorl %eax, %eax
85: call io_write
    xorl %eax, %eax
    call io_write
    # the command
    RANDN $10
    testl %eax, %eax
    jnz 86f
    call gen_val
    andl $0xFF, %eax
    jmp 87f
86: RANDN $N_IDE_CMDS
    movzbl ide_cmds(%eax), %eax
87: movl %eax, ide_cmd
    cmpl $0xC8, %eax
    je .Lic_dma
    cmpl $0xC9, %eax
    je .Lic_dma
    cmpl $0xCA, %eax
    je .Lic_dma
    cmpl $0xCB, %eax
    je .Lic_dma
    cmpl $0x25, %eax
    je .Lic_dma
    cmpl $0x35, %eax
    je .Lic_dma
    call ide_issue
    # PIO: move up to 300 words whichever way the command goes (the device decides)
    RANDN $300
    movl %eax, %edi
    movl ide_base, %edx
    movl $2, %ecx
    movl ide_cmd, %eax
    cmpl $0x30, %eax
    je 91f
    cmpl $0x31, %eax
    je 91f
    cmpl $0x34, %eax
    je 91f
    cmpl $0x39, %eax
    je 91f
    cmpl $0xC5, %eax
    je 91f
90: testl %edi, %edi
    jz 95f
    call io_read
    decl %edi
    jmp 90b
91: testl %edi, %edi
    jz 95f
    call rand
    call sanitize
    call io_write
    decl %edi
    jmp 91b
95: call ide_status
    ret

.Lic_dma:
    # PRD table in S: 1-8 entries (addresses from gen_addr, counts up to 64 KiB), EOT on the
    # last one mostly, else a junk entry outside RAM follows
    call rand
    andl $0x3FFFFC, %eax
    addl $S_BASE, %eax
    movl %eax, ide_prd
    movl %eax, %ebx
    RANDN $8
    leal 1(%eax), %edi
1:  call gen_addr
    movl %eax, (%ebx)
    RANDN $4
    testl %eax, %eax
    jnz 2f
    xorl %eax, %eax
    jmp 3f
2:  call rand
    andl $0xFFFE, %eax
3:  cmpl $1, %edi                # the last entry: EOT (6 times in 7)
    jne 4f
    pushl %eax
    RANDN $7
    testl %eax, %eax
    popl %eax
    jz 4f
    orl $0x80000000, %eax
4:  movl %eax, 4(%ebx)
    addl $8, %ebx
    decl %edi
    jnz 1b
    movl $0xFFFFF000, (%ebx)      # after a table without EOT: a region outside RAM
    movl $0x200, 4(%ebx)
    # PRD pointer (mostly the table)
    movl ide_bm, %edx
    addl $4, %edx
    movl $4, %ecx
    movl ide_prd, %eax
    RANDN $10
    testl %eax, %eax
    jnz 5f
    call gen_val
    jmp 6f
5:  movl ide_prd, %eax
6:  call io_write
    # bus master: direction (right mostly), clear status, start before or after the command
    movl ide_cmd, %eax
    xorl %ebx, %ebx
    cmpl $0xCA, %eax
    jae 7f
    cmpl $0x35, %eax
    je 7f
    movl $8, %ebx                 # READ DMA: the controller writes memory
7:  RANDN $7
    testl %eax, %eax
    jnz 8f
    xorl $8, %ebx
8:  movl ide_bm, %edx
    addl $2, %edx
    movl $1, %ecx
    movl $6, %eax
    call io_write
    movl ide_bm, %edx
    movl %ebx, %eax
    call io_write
    RANDN $8
    testl %eax, %eax
    jnz 9f
    movl %ebx, %eax               # start first, command second
    orl $1, %eax
    call io_write
    call ide_issue
    jmp 10f
9:  call ide_issue
    movl ide_bm, %edx
    movl $1, %ecx
    movl %ebx, %eax
    orl $1, %eax
    call io_write
10: movl ide_bm, %edx
    addl $2, %edx
    movl $1, %ecx
    call io_read                  # bus-master status
    call ide_status
    movl ide_bm, %edx
    movl $1, %ecx
    movl %ebx, %eax
    call io_write                 # stop
    addl $2, %edx
    movl $6, %eax
    call io_write                 # clear interrupt and error
    ret

# ide_issue: write ide_cmd to the command register
ide_issue:
    pushl %ecx
    pushl %edx
    movl ide_base, %edx
    addl $7, %edx
    movl $1, %ecx
    movl ide_cmd, %eax
    call io_write
    popl %edx
    popl %ecx
    ret

# ide_status: error and status registers into the checksum
ide_status:
    pushl %ecx
    pushl %edx
    movl ide_base, %edx
    incl %edx
    movl $1, %ecx
    call io_read
    addl $6, %edx
    call io_read
    popl %edx
    popl %ecx
    ret

# ---- bus-master register block at random (4 accesses)
op_bm_random:
    incl n_bmop
    movl $4, %edi
1:  RANDN $16
    movl bm_port, %edx
    addl %eax, %edx
    call rand_width
    RANDN $10
    cmpl $5, %eax
    jae 2f
    call gen_val
    call io_write
    jmp 3f
2:  call io_read
3:  decl %edi
    jnz 1b
    ret

# ---- reads of any port (ISA range mostly); not in the checksum (the RTC reads host time)
op_legacy:
    incl n_legacy
    call rand
    movl %eax, %edx
    RANDN $2
    testl %eax, %eax
    jz 1f
    andl $0x3FF, %edx
1:  andl $0xFFFF, %edx
    call rand_width
    call io_read_raw
    ret

    .globl h_text_end
h_text_end:
