# taskswitch: hardware task switching. SDM Vol.3 ch.7 (7.2 TSS and descriptors, 7.3 task switching,
# 7.4 task linking: back link, NT, busy flag), 6.15 int 8 (#DF through a task gate), 2.5 (CR0.TS).
.include "lib.inc"
    .section .rodata
    .globl test_name
test_name: .asciz "taskswitch"

.set T_LINK, 0x00
.set T_ESP0, 0x04
.set T_SS0, 0x08
.set T_CR3, 0x1C
.set T_EIP, 0x20
.set T_EFLAGS, 0x24
.set T_EAX, 0x28
.set T_EBX, 0x34
.set T_ESP, 0x38
.set T_ES, 0x48
.set T_CS, 0x4C
.set T_SS, 0x50
.set T_DS, 0x54
.set T_FS, 0x58
.set T_GS, 0x5C
.set T_IOMAP, 0x66
.set SEL_TDF, SEL_S0
.set SEL_T2, SEL_S1
.set SEL_T3, SEL_S2
.set SEL_TGATE, SEL_S3

    .data
r_tr:       .long 0
r_flags:    .long 0
r_link:     .long 0
r_main_type: .long 0
r_own_type: .long 0
r_saved_eip: .long 0
r_saved_esp: .long 0
r_saved_eax: .long 0
r_err:      .long 0
r_esp:      .long 0
r_cr2:      .long 0
r_cs:       .long 0
df_resume_esp: .long 0
    .bss
    .align 4096
pd:         .skip 4096
tss_df:     .skip 128
tss_2:      .skip 128
tss_3:      .skip 128
    .align 16
    .skip 2048
stack_df:
    .skip 2048
stack_2:
    .skip 2048
stack_3:

    .text
# init_tss(tss, eip, esp): flat ring 0 task, EFLAGS=2, current CR3, no I/O bitmap
init_tss:
    pushal
    movl 36(%esp), %edi
    movl $32, %ecx
    xorl %eax, %eax
    rep stosl
    movl 36(%esp), %edi
    movl 40(%esp), %eax
    movl %eax, T_EIP(%edi)
    movl 44(%esp), %eax
    movl %eax, T_ESP(%edi)
    movl %eax, T_ESP0(%edi)
    movl $SEL_KDATA, T_SS0(%edi)
    movl $2, T_EFLAGS(%edi)
    movl %cr3, %eax
    movl %eax, T_CR3(%edi)
    movl $SEL_KCODE, T_CS(%edi)
    movl $SEL_KDATA, %eax
    movl %eax, T_SS(%edi)
    movl %eax, T_DS(%edi)
    movl %eax, T_ES(%edi)
    movl %eax, T_FS(%edi)
    movl %eax, T_GS(%edi)
    movw $104, T_IOMAP(%edi)
    popal
    ret
# desc_type(sel) -> eax = type field (bits 8-11 of the high dword)
desc_type:
    movl 4(%esp), %eax
    andl $0xFFF8, %eax
    movl gdt+4(%eax), %eax
    shrl $8, %eax
    andl $0xF, %eax
    ret
# record the state common to every task entry (called at the start of a task)
record_task:
    pushal
    str %eax
    andl $0xFFFF, %eax
    movl %eax, r_tr
    pushfl
    popl r_flags
    pushl r_tr
    call desc_type
    movl %eax, r_own_type
    pushl $SEL_TSS
    call desc_type
    movl %eax, r_main_type
    leal 8(%esp), %esp
    movl main_tss+T_EIP, %eax
    movl %eax, r_saved_eip
    movl main_tss+T_ESP, %eax
    movl %eax, r_saved_esp
    movl main_tss+T_EAX, %eax
    movl %eax, r_saved_eax
    popal
    ret

    .globl test_main
test_main:
# ---- JMP to a TSS (7.3): no back link, NT clear, old task not busy, state saved in the old TSS
    pushl $stack_2
    pushl $task2
    pushl $tss_2
    call init_tss
    leal 12(%esp), %esp
    movw $0x00F0, tss_2+T_LINK
    GDT_SET $SEL_T2, $tss_2, $103, $A_TSS32
    movl $0xA1A1A1A1, %eax
    movl $0xB2B2B2B2, %ebx
    clts
2:  ljmp $SEL_T2, $0
jmp_back:
    CHECK jmp.regs_restored_eax, %eax, $0xA1A1A1A1
    CHECK jmp.regs_restored_ebx, %ebx, $0xB2B2B2B2
    CHECK jmp.task_tr, r_tr, $SEL_T2
    movl r_flags, %eax
    andl $F_NT, %eax
    CHECK jmp.nt_clear, %eax, $0
    movzwl tss_2+T_LINK, %eax
    CHECK jmp.link_unchanged, %eax, $0x00F0
    CHECK jmp.old_not_busy, r_main_type, $0x9
    CHECK jmp.new_busy, r_own_type, $0xB
    CHECK jmp.saved_eip, r_saved_eip, $jmp_back
    CHECK jmp.saved_eax, r_saved_eax, $0xA1A1A1A1
    CHECK jmp.task2_saved_eip, tss_2+T_EIP, $task2_after
    pushl $SEL_T2
    call desc_type
    leal 4(%esp), %esp
    CHECK jmp.task2_released, %eax, $0x9
    movl %cr0, %eax
    andl $8, %eax
    CHECK jmp.cr0_ts_set, %eax, $8
    clts
    str %eax
    andl $0xFFFF, %eax
    CHECK jmp.back_tr, %eax, $SEL_TSS

# ---- CALL to a TSS: back link, NT, busy old task; IRET returns (7.4)
    pushl $stack_3
    pushl $task3
    pushl $tss_3
    call init_tss
    leal 12(%esp), %esp
    GDT_SET $SEL_T3, $tss_3, $103, $A_TSS32
    movl $0xC3C3C3C3, %eax
    lcall $SEL_T3, $0
call_back:
    CHECK call.regs_restored, %eax, $0xC3C3C3C3
    CHECK call.task_tr, r_tr, $SEL_T3
    movl r_flags, %eax
    andl $F_NT, %eax
    CHECK call.nt_set, %eax, $F_NT
    CHECK call.back_link, r_link, $SEL_TSS
    CHECK call.old_still_busy, r_main_type, $0xB
    CHECK call.new_busy, r_own_type, $0xB
    CHECK call.saved_eip, r_saved_eip, $call_back
    pushl $SEL_T3
    call desc_type
    leal 4(%esp), %esp
    CHECK call.iret_releases, %eax, $0x9
    pushfl
    popl %eax
    andl $F_NT, %eax
    CHECK call.caller_nt_clear, %eax, $0
    clts
# the same through a task gate in the GDT
    pushl $stack_3
    pushl $task3
    pushl $tss_3
    call init_tss
    leal 12(%esp), %esp
    GATE_SET $(gdt+SEL_TGATE), $0, $SEL_T3, $G_TASK, $0
    movl $0, r_tr
    lcall $SEL_TGATE, $0
    CHECK taskgate.call_tr, r_tr, $SEL_T3
    CHECK taskgate.back_link, r_link, $SEL_TSS
    clts
# CALL / JMP to a busy TSS -> #GP(selector)
    TRY 1f
2:  lcall $SEL_TSS, $0
1:  CHECK_EXC call.busy_tss, $V_GP, $SEL_TSS, $2b
    TRY 1f
2:  ljmp $SEL_TSS, $0
1:  CHECK_EXC jmp.busy_tss, $V_GP, $SEL_TSS, $2b
# IRET with NT=1 but a back link to an available (not busy) TSS -> #TS(link)
    movw $SEL_T2, main_tss+T_LINK
    TRY 1f
    pushfl
    orl $F_NT, (%esp)
    popfl
2:  iretl
1:  CHECK_EXC iret.link_not_busy, $V_TS, $SEL_T2, $2b
    movw $0, main_tss+T_LINK

# ---- #DF through a task gate, contributory + contributory (6.15 int 8)
    pushl $stack_df
    pushl $task_df
    pushl $tss_df
    call init_tss
    leal 12(%esp), %esp
    GDT_SET $SEL_TDF, $tss_df, $103, $A_TSS32
    GATE_SET $(idt+8*V_DF), $0, $SEL_TDF, $G_TASK, $0
    andl $~0x8000, idt+V_GP*8+4               # #GP gate not present: #NP while delivering #GP
    movl %esp, df_resume_esp
    movl $0xD1D1D1D1, %eax
    movw $0x100, %bx
2:  movw %bx, %ds                            # #GP(0x100)
df_resume:
    CHECK df.resumed_eax, %eax, $0xD1D1D1D1
    IDT_RESET V_GP
    CHECK df.task_tr, r_tr, $SEL_TDF
    CHECK df.error_code, r_err, $0
    CHECK df.esp_after_errcode, r_esp, $(stack_df-4)
    movl r_flags, %eax
    andl $F_NT, %eax
    CHECK df.nt_set, %eax, $F_NT
    CHECK df.back_link, r_link, $SEL_TSS
    CHECK df.old_busy, r_main_type, $0xB
    CHECK df.saved_eip_faulting, r_saved_eip, $2b
    CHECK df.saved_eax, r_saved_eax, $0xD1D1D1D1
    CHECK df.task_cs, r_cs, $SEL_KCODE
    pushl $SEL_TDF
    call desc_type
    leal 4(%esp), %esp
    CHECK df.iret_releases, %eax, $0x9
    clts

# ---- #DF through a task gate: #PF while delivering #PF with an unmapped ESP (the Linux case)
    movl $(0x00000000+0x83), pd              # 0..4 MiB: 4 MiB page P|W|PS; 4..8 MiB not present
    movl $pd, %eax
    movl %eax, %cr3
    movl %eax, main_tss+T_CR3                # CR3 is read, not saved, by task switches
    movl %cr4, %eax
    orl $0x10, %eax
    movl %eax, %cr4
    movl %cr0, %eax
    orl $0x80000000, %eax
    movl %eax, %cr0
    jmp 1f
1:  pushl $stack_df
    pushl $task_df
    pushl $tss_df
    call init_tss                            # picks up the new CR3
    leal 12(%esp), %esp
    movl %esp, df_resume_esp
    movl $0x800000, %esp
2:  movl 0x400000, %eax                      # #PF, then #PF pushing the frame below 0x800000
df_resume2:
    CHECK df2.task_tr, r_tr, $SEL_TDF
    CHECK df2.error_code, r_err, $0
    CHECK df2.saved_eip_faulting, r_saved_eip, $2b
    CHECK df2.saved_esp, r_saved_esp, $0x800000
    CHECK_RANGE df2.cr2_stack, r_cr2, $(0x800000-16), $0x7FFFFF
    movl r_flags, %eax
    andl $F_NT, %eax
    CHECK df2.nt_set, %eax, $F_NT
    movl %cr0, %eax
    andl $~0x80000008, %eax
    movl %eax, %cr0
    jmp 1f
1:  movl %cr4, %eax
    andl $~0x10, %eax
    movl %eax, %cr4
    IDT_RESET V_DF
    ret

# ---------------- tasks
task2:
    call record_task
    movzwl tss_2+T_LINK, %eax
    movl %eax, r_link
    movl $0x12121212, %eax                   # clobber: the JMP back must restore main's EAX
    ljmp $SEL_TSS, $0
task2_after:
    jmp task2_after

task3:
    call record_task
    movzwl tss_3+T_LINK, %eax
    movl %eax, r_link
    movl $0x13131313, %eax
    iretl                                    # NT=1: return to the back link
    jmp task3

# double-fault task: error code on its stack; fix the interrupted task and IRET back to it
task_df:
    call record_task
    movl %esp, r_esp
    movl (%esp), %eax
    movl %eax, r_err
    movzwl tss_df+T_LINK, %eax
    movl %eax, r_link
    movl %cr2, %eax
    movl %eax, r_cr2
    movw %cs, %ax
    movzwl %ax, %eax
    movl %eax, r_cs
    movl $df_resume, main_tss+T_EIP
    movl main_tss+T_ESP, %eax               # which scenario: the #PF one left ESP=0x800000
    cmpl $0x800000, %eax
    jne 1f
    movl $df_resume2, main_tss+T_EIP
1:  movl df_resume_esp, %eax
    movl %eax, main_tss+T_ESP
    movl $SEL_KDATA, main_tss+T_DS
    addl $4, %esp
    iretl
    jmp task_df
