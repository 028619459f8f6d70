"""Builds, runs and decodes one qemu-i386 oracle program for a list of cases.

The program is plain GNU as (32-bit, AT&T syntax), linked static with no libc. For each case it
copies the case's initial data area and stack window into place, loads EFLAGS (through POPF on a
scratch stack) and EAX..EDI, sets ESP, jumps to the snippet, and after it stores the registers,
EFLAGS and both memory windows into a record written to stdout. A fault inside the snippet is
caught by an SA_SIGINFO handler running on an alternate signal stack (so the stack window is not
touched); it copies the registers from the signal's ucontext into the record and returns through
rt_sigreturn to a recovery label.
"""

import os
import struct
import subprocess

# Guest layout shared with the Java replay test (see README.md).
DATA = 0x8000      # data area, DATA_SIZE bytes
DATA_SIZE = 256
STACK = 0x9000     # stack window, STACK_SIZE bytes
STACK_SIZE = 256
ESP0 = 0x9080      # initial ESP, in the middle of the stack window
CODE = 0x10000     # where the Java side puts the snippet (the qemu side runs it elsewhere)

FLAGS_MASK = 0x8D5 | 0x400   # CF PF AF ZF SF OF | DF
REC_FMT = "<5I8II"           # status signo si_code trapno eip, eax..edi, eflags
REC_HDR = struct.calcsize(REC_FMT)
REC_SIZE = REC_HDR + DATA_SIZE + STACK_SIZE
CASE_SIZE = 4 + 32 + 4 + DATA_SIZE + STACK_SIZE

SIGNALS = [4, 5, 7, 8, 11]   # SIGILL SIGTRAP SIGBUS SIGFPE SIGSEGV

PROLOGUE = f"""
        .set DATA, {DATA:#x}
        .set STACK, {STACK:#x}
        .set ESP0, {ESP0:#x}
        .section .oarea,"aw",@nobits
        .space 0x2000
        .bss
        .balign 16
scratch: .space 4096
scratch_top:
altstack: .space 65536
cur:    .long 0
target: .long 0
rec:
rec_status: .long 0
rec_signo: .long 0
rec_code: .long 0
rec_trapno: .long 0
rec_eip: .long 0
rec_regs: .space 32
rec_flags: .long 0
rec_mem: .space {DATA_SIZE + STACK_SIZE}
rec_end:
        .data
        .balign 4
ss_struct: .long altstack, 0, 65536
sa_struct: .long handler, 0x0C000004, restorer, 0, 0
        .text
        .globl _start
_start:
        movl $186, %eax
        movl $ss_struct, %ebx
        xorl %ecx, %ecx
        int $0x80
""" + "".join(f"""
        movl $174, %eax
        movl ${s}, %ebx
        movl $sa_struct, %ecx
        xorl %edx, %edx
        movl $8, %esi
        int $0x80
        testl %eax, %eax
        jnz fail
""" for s in SIGNALS) + f"""
        movl $case_table, cur
next_case:
        movl $scratch_top, %esp
        cld
        movl cur, %esi
        movl (%esi), %eax
        testl %eax, %eax
        jz done
        movl %eax, target
        addl $40, %esi
        movl $DATA, %edi
        movl ${DATA_SIZE // 4}, %ecx
        rep movsl
        movl $STACK, %edi
        movl ${STACK_SIZE // 4}, %ecx
        rep movsl
        movl $0, rec_status
        movl $0, rec_signo
        movl $0, rec_code
        movl $0, rec_trapno
        movl $0, rec_eip
        movl cur, %ebp
        pushl 36(%ebp)
        popfl
        movl $ESP0, %esp
        movl 4(%ebp), %eax
        movl 8(%ebp), %ecx
        movl 12(%ebp), %edx
        movl 16(%ebp), %ebx
        movl 28(%ebp), %esi
        movl 32(%ebp), %edi
        movl 24(%ebp), %ebp
        jmp *target
save_ok:
        movl %eax, rec_regs+0
        movl %ecx, rec_regs+4
        movl %edx, rec_regs+8
        movl %ebx, rec_regs+12
        movl %esp, rec_regs+16
        movl %ebp, rec_regs+20
        movl %esi, rec_regs+24
        movl %edi, rec_regs+28
        movl $scratch_top, %esp
        pushfl
        popl rec_flags
dump:
        cld
        movl $DATA, %esi
        movl $rec_mem, %edi
        movl ${DATA_SIZE // 4}, %ecx
        rep movsl
        movl $STACK, %esi
        movl ${STACK_SIZE // 4}, %ecx
        rep movsl
        movl $4, %eax
        movl $1, %ebx
        movl $rec, %ecx
        movl ${REC_SIZE}, %edx
        int $0x80
        cmpl ${REC_SIZE}, %eax
        jne fail
        addl ${CASE_SIZE}, cur
        jmp next_case
done:
        movl $1, %eax
        xorl %ebx, %ebx
        int $0x80
fail:
        movl $1, %eax
        movl $99, %ebx
        int $0x80

/* handler(sig, siginfo *, ucontext *) on the alternate stack; gregs start at uc+20 */
handler:
        movl 4(%esp), %eax
        movl %eax, rec_signo
        movl 8(%esp), %eax
        movl 8(%eax), %eax
        movl %eax, rec_code
        movl 12(%esp), %edx
        addl $20, %edx
        movl 44(%edx), %eax
        movl %eax, rec_regs+0
        movl 40(%edx), %eax
        movl %eax, rec_regs+4
        movl 36(%edx), %eax
        movl %eax, rec_regs+8
        movl 32(%edx), %eax
        movl %eax, rec_regs+12
        movl 28(%edx), %eax
        movl %eax, rec_regs+16
        movl 24(%edx), %eax
        movl %eax, rec_regs+20
        movl 20(%edx), %eax
        movl %eax, rec_regs+24
        movl 16(%edx), %eax
        movl %eax, rec_regs+28
        movl 48(%edx), %eax
        movl %eax, rec_trapno
        movl 56(%edx), %eax
        movl %eax, rec_eip
        movl 64(%edx), %eax
        movl %eax, rec_flags
        movl $1, rec_status
        movl $fault_recover, 56(%edx)
        ret
restorer:
        movl $173, %eax
        int $0x80
fault_recover:
        movl $scratch_top, %esp
        jmp dump
/* cases whose outcome is derived, not run: record the initial state unchanged */
derived_skip:
        jmp save_ok
"""


def build_source(cases):
    out = [PROLOGUE]
    out.append("        .data\n        .balign 4\ncase_table:\n")
    for i, c in enumerate(cases):
        regs = list(c.regs)
        entry = "derived_skip" if getattr(c, "derived", None) is not None else f"snip_{i}"
        out.append(f"        .long {entry}, " + ", ".join(f"{v & 0xffffffff:#x}" for v in regs)
                   + f", {c.flags:#x}\n")
        mem = bytes(c.data) + bytes(c.stack)
        for k in range(0, len(mem), 32):
            out.append("        .byte " + ",".join(str(b) for b in mem[k:k + 32]) + "\n")
    out.append("        .long 0\n        .text\n")
    for i, c in enumerate(cases):
        out.append(f"snip_{i}:\n")
        for line in c.asm:
            out.append(f"        {line}\n")
        out.append(f"snip_{i}_end:\n        jmp save_ok\n")
    return "".join(out)


def text_bytes(elf, workdir):
    binf = os.path.join(workdir, "text.bin")
    subprocess.run(["objcopy", "-O", "binary", "--only-section=.text", elf, binf], check=True)
    with open(binf, "rb") as f:
        data = f.read()
    syms = {}
    for line in subprocess.run(["nm", elf], check=True, capture_output=True, text=True).stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = int(parts[0], 16)
    return data, syms


def run(cases, workdir, name):
    """Assembles and runs the program; returns one decoded record per case (dicts) and code bytes."""
    os.makedirs(workdir, exist_ok=True)
    src = os.path.join(workdir, name + ".s")
    obj = os.path.join(workdir, name + ".o")
    elf = os.path.join(workdir, name)
    with open(src, "w") as f:
        f.write(build_source(cases))
    subprocess.run(["as", "--32", "-o", obj, src], check=True)
    subprocess.run(["ld", "-m", "elf_i386", "-static", f"--section-start=.oarea={DATA:#x}",
                    "-o", elf, obj], check=True)
    data, syms = text_bytes(elf, workdir)
    text_start = syms["_start"]
    proc = subprocess.run(["qemu-i386", elf], capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{name}: qemu-i386 exit {proc.returncode}: {proc.stderr[:500]!r}")
    out = proc.stdout
    if len(out) != REC_SIZE * len(cases):
        raise RuntimeError(f"{name}: got {len(out)} bytes, want {REC_SIZE * len(cases)}")
    results = []
    for i in range(len(cases)):
        r = out[i * REC_SIZE:(i + 1) * REC_SIZE]
        st, signo, code, trapno, eip, *rest = struct.unpack_from(REC_FMT, r)
        regs, flags = rest[:8], rest[8]
        start, end = syms[f"snip_{i}"], syms[f"snip_{i}_end"]
        results.append(dict(
            fault=bool(st), signo=signo, si_code=code, trapno=trapno,
            eip_off=(eip - start) if st else None,
            regs=regs, flags=flags,
            data=r[REC_HDR:REC_HDR + DATA_SIZE], stack=r[REC_HDR + DATA_SIZE:],
            code=data[start - text_start:end - text_start]))
    return results
