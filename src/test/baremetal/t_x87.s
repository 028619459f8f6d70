# x87: FPU control/status, memory formats, arithmetic, compares, FPREM, FSAVE/FRSTOR, FXSAVE/FXRSTOR,
# masked exception responses and #MF with CR0.NE. SDM Vol.1 ch.8 (8.1.3 status word, 8.1.5 control
# word, 8.1.7 tag word, 8.2 data types, 8.4/8.5 exceptions), Vol.2 FCOMI/FPREM/FSAVE/FXSAVE.
.include "lib.inc"
    .section .rodata
    .globl test_name
test_name: .asciz "x87"
    .data
    .align 16
f_1_5:    .long 0x3FC00000
f_2:      .long 0x40000000
f_2_5:    .long 0x40200000
f_3_5:    .long 0x40600000
f_m2_5:   .long 0xC0200000
f_2_7:    .long 0x402CCCCD
f_3:      .long 0x40400000
f_4:      .long 0x40800000
f_7:      .long 0x40E00000
f_10:     .long 0x41200000
f_m1:     .long 0xBF800000
f_0:      .long 0
f_qnan:   .long 0x7FC00000
d_pi:     .long 0x54442D18, 0x400921FB
t_val:    .long 0x9ABCDEF0, 0x92345678
          .word 0x4005
i16_m5:   .word -5
i32_big:  .long 123456789
i64_val:  .long 0x00000001, 0x00000100
bcd_in:   .byte 0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0, 0, 0x80     # -12345678
i32_bcd:  .long 987654321
cw_chop:  .word 0x0F7F
cw_down:  .word 0x077F
cw_pc:    .word 0x027F
cw_im:    .word 0x037E
    .bss
    .align 16
o32:      .skip 4
o64:      .skip 8
o80:      .skip 16
ow:       .skip 4
env:      .skip 32
fsave_area: .skip 112
    .align 16
fx_area:  .skip 512
    .text
    .globl test_main
test_main:
    movl %cr0, %eax
    andl $~0xC, %eax                # EM=TS=0
    orl $0x22, %eax                 # MP, NE
    movl %eax, %cr0
# ---- FNINIT state
    fninit
    movw $0xFFFF, %ax
    fnstsw %ax
    movzwl %ax, %eax
    CHECK init.status_word, %eax, $0
    fnstcw ow
    movzwl ow, %eax
    CHECK init.control_word, %eax, $0x037F
    fnstenv env
    movzwl env+8, %eax
    CHECK init.tag_word, %eax, $0xFFFF
    fldcw cw_chop
    fnstcw ow
    movzwl ow, %eax
    CHECK fldcw.readback, %eax, $0x0F7F
    fninit

# ---- memory formats (8.2)
    flds f_1_5
    fstpl o64
    CHECK fmt.f32_to_f64_lo, o64, $0
    CHECK fmt.f32_to_f64_hi, o64+4, $0x3FF80000
    fldl d_pi
    fstps o32
    CHECK fmt.f64_to_f32_round, o32, $0x40490FDB
    fldt t_val
    fstpt o80
    CHECK fmt.f80_roundtrip_lo, o80, $0x9ABCDEF0
    CHECK fmt.f80_roundtrip_mid, o80+4, $0x92345678
    movzwl o80+8, %eax
    CHECK fmt.f80_roundtrip_exp, %eax, $0x4005
    filds i16_m5
    fistpl o32
    CHECK fmt.i16_to_i32, o32, $-5
    fildl i32_big
    fistpll o64
    CHECK fmt.i32_to_i64_lo, o64, $123456789
    CHECK fmt.i32_to_i64_hi, o64+4, $0
    fildll i64_val
    fistpll o64
    CHECK fmt.i64_roundtrip_lo, o64, $1
    CHECK fmt.i64_roundtrip_hi, o64+4, $0x100
    filds i16_m5
    fistps ow
    movswl ow, %eax
    CHECK fmt.i16_store, %eax, $-5
    fbld bcd_in
    fistpl o32
    CHECK fmt.bcd_load, o32, $-12345678
    fildl i32_bcd
    fbstp o80
    CHECK fmt.bcd_store_lo, o80, $0x87654321
    CHECK fmt.bcd_store_hi, o80+4, $0x9
    movzwl o80+8, %eax
    CHECK fmt.bcd_store_sign, %eax, $0
# rounding control on FIST (8.1.5.3)
    flds f_2_5
    fistpl o32
    CHECK round.nearest_even_2_5, o32, $2
    flds f_3_5
    fistpl o32
    CHECK round.nearest_even_3_5, o32, $4
    fldcw cw_down
    flds f_m2_5
    fistpl o32
    CHECK round.down_m2_5, o32, $-3
    fldcw cw_chop
    flds f_2_7
    fistpl o32
    CHECK round.chop_2_7, o32, $2
    fninit

# ---- arithmetic with exactly known results
    fld1
    fadds f_2
    fstps o32
    CHECK arith.add, o32, $0x40400000
    flds f_1_5
    fmuls f_4
    fstps o32
    CHECK arith.mul, o32, $0x40C00000
    fld1
    fsubs f_4
    fstps o32
    CHECK arith.sub, o32, $0xC0400000
    fld1
    fdivs f_3
    fstpl o64
    CHECK arith.div_third_lo, o64, $0x55555555
    CHECK arith.div_third_hi, o64+4, $0x3FD55555
    flds f_2
    fsqrt
    fstpl o64
    CHECK arith.sqrt2_lo, o64, $0x667F3BCD
    CHECK arith.sqrt2_hi, o64+4, $0x3FF6A09E
    flds f_m1
    fabs
    fchs
    fstps o32
    CHECK arith.abs_chs, o32, $0xBF800000
    fldpi
    fstpt o80
    CHECK const.pi_lo, o80, $0x2168C235
    CHECK const.pi_hi, o80+4, $0xC90FDAA2
    fld1
    fstpt o80
    movzwl o80+8, %eax
    CHECK const.one_exp, %eax, $0x3FFF
    CHECK const.one_mant, o80+4, $0x80000000
    fldcw cw_pc                     # precision control: 53-bit significand (8.1.5.2)
    fld1
    fdivs f_3
    fstpt o80
    CHECK pc.double_third_lo, o80, $0xAAAAA800
    fninit

# ---- FCOMI / FUCOMI flags, FCOM condition codes
    flds f_2
    fld1                            # st0=1, st1=2
    fcomi %st(1), %st
    pushfl
    popl %eax
    andl $(F_ZF|F_PF|F_CF), %eax
    CHECK fcomi.less, %eax, $F_CF
    fxch
    fcomi %st(1), %st               # 2 vs 1
    pushfl
    popl %eax
    andl $(F_ZF|F_PF|F_CF), %eax
    CHECK fcomi.greater, %eax, $0
    fld %st(0)
    fcomip %st(1), %st              # 2 vs 2
    pushfl
    popl %eax
    andl $(F_ZF|F_PF|F_CF), %eax
    CHECK fcomi.equal, %eax, $F_ZF
    flds f_qnan
    fucomip %st(1), %st
    pushfl
    popl %eax
    andl $(F_ZF|F_PF|F_CF), %eax
    CHECK fucomi.unordered, %eax, $(F_ZF|F_PF|F_CF)
    fnstsw %ax
    andl $1, %eax
    CHECK fucomi.qnan_no_ie, %eax, $0
    fcoms f_3                       # st0=2 < 3: C0=1
    fnstsw %ax
    movzwl %ax, %eax
    andl $0x4500, %eax
    CHECK fcom.less_c0, %eax, $0x0100
    fcoms f_2
    fnstsw %ax
    movzwl %ax, %eax
    andl $0x4500, %eax
    CHECK fcom.equal_c3, %eax, $0x4000
    fninit

# ---- FPREM: remainder and quotient bits C0=Q2, C3=Q1, C1=Q0 (Vol.2 FPREM)
    flds f_3
    flds f_7
    fprem                           # 7 = 2*3 + 1
    fnstsw %ax
    movzwl %ax, %eax
    andl $0x4700, %eax
    CHECK fprem.q2_flags, %eax, $0x4000
    fstps o32
    CHECK fprem.rem_1, o32, $0x3F800000
    flds f_10
    fprem                           # 10 = 3*3 + 1
    fnstsw %ax
    movzwl %ax, %eax
    andl $0x4700, %eax
    CHECK fprem.q3_flags, %eax, $0x4200
    fninit

# ---- masked exception responses (8.5)
    fld1
    fdivs f_0
    fnstsw %ax
    movzwl %ax, %eax
    andl $0x00BF, %eax
    CHECK masked.zero_divide_flags, %eax, $0x04
    fstps o32
    CHECK masked.zero_divide_inf, o32, $0x7F800000
    flds f_m1
    fsqrt
    fnstsw %ax
    andl $1, %eax
    CHECK masked.invalid_ie, %eax, $1
    fstps o32
    CHECK masked.invalid_indefinite, o32, $0xFFC00000
    fninit
    QUIRK nox87stackfault, masked.stack_overflow_sf_c1_ie, 3f
    movl $9, %ecx
1:  fld1
    loop 1b                         # 9 pushes: stack overflow
    fnstsw %ax
    movzwl %ax, %eax
    andl $0x0241, %eax
    CHECK masked.stack_overflow_sf_c1_ie, %eax, $0x0241
3:
    fninit
    fldz
    fxam
    fnstsw %ax
    movzwl %ax, %eax
    andl $0x4700, %eax
    CHECK fxam.zero, %eax, $0x4000
    fninit
    fxam
    fnstsw %ax
    movzwl %ax, %eax
    andl $0x4500, %eax
    CHECK fxam.empty, %eax, $0x4100
    flds f_m1
    fxam
    fnstsw %ax
    movzwl %ax, %eax
    andl $0x4700, %eax
    CHECK fxam.negative_normal, %eax, $0x0600
    fninit

# ---- FSAVE / FRSTOR (8.1.10)
    fldcw cw_pc
    fld1
    fldpi                           # TOP=6, R7=1.0, R6=pi
    fsave fsave_area
    movzwl fsave_area, %eax
    CHECK fsave.cw, %eax, $0x027F
    movzwl fsave_area+4, %eax
    andl $0x3800, %eax
    CHECK fsave.top, %eax, $0x3000
    movzwl fsave_area+8, %eax
    CHECK fsave.tag, %eax, $0x0FFF
    CHECK fsave.st0_hi, fsave_area+28+4, $0xC90FDAA2
    fnstcw ow
    movzwl ow, %eax
    CHECK fsave.reinitializes, %eax, $0x037F
    frstor fsave_area
    fnstcw ow
    movzwl ow, %eax
    CHECK frstor.cw, %eax, $0x027F
    fstpt o80
    CHECK frstor.st0, o80+4, $0xC90FDAA2
    fstps o32
    CHECK frstor.st1, o32, $0x3F800000
    fninit

# ---- FXSAVE / FXRSTOR, only if CPUID.1:EDX.FXSR[24]
    movl $1, %eax
    cpuid
    testl $(1<<24), %edx
    jnz 1f
    PRINT "skip fxsave (CPUID.1:EDX.FXSR=0)\n"
    jmp 2f
1:  fldcw cw_pc
    fld1
    fldpi
    fxsave fx_area
    movzwl fx_area, %eax
    CHECK fxsave.fcw, %eax, $0x027F
    movzwl fx_area+2, %eax
    andl $0x3800, %eax
    CHECK fxsave.fsw_top, %eax, $0x3000
    movzbl fx_area+4, %eax
    CHECK fxsave.abridged_tag, %eax, $0xC0
    CHECK fxsave.st0_hi, fx_area+32+4, $0xC90FDAA2
    CHECK fxsave.st1_hi, fx_area+48+4, $0x80000000
    fninit
    fxrstor fx_area
    fnstcw ow
    movzwl ow, %eax
    CHECK fxrstor.cw, %eax, $0x027F
    fstpt o80
    CHECK fxrstor.st0, o80+4, $0xC90FDAA2
    fstps o32
    CHECK fxrstor.st1, o32, $0x3F800000
    fninit
2:

# ---- unmasked exception with CR0.NE=1 -> #MF at the next waiting instruction (8.7)
    fldcw cw_im                     # invalid operation unmasked
    flds f_m1
    fsqrt
    fnstsw %ax
    movzwl %ax, %eax
    andl $0x0081, %eax
    CHECK unmasked.es_ie, %eax, $0x81
    TRY 1f
2:  fwait
1:  CHECK_EXC unmasked.mf, $V_MF, $0, $2b
    fnclex
    fnstsw %ax
    movzwl %ax, %eax
    andl $0x80FF, %eax
    CHECK fnclex.clears, %eax, $0
    fninit
    ret
