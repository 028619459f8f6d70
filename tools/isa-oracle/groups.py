"""Case generators, one function per group. Each returns a list of Case.

A Case carries the snippet (GNU as lines), the initial registers/EFLAGS/memory, and the EFLAGS
bits the SDM leaves undefined after the snippet (computed here from the instruction and, for
counts taken from registers, from the initial operand values).
"""

from harness import DATA, DATA_SIZE, STACK, STACK_SIZE, ESP0

CF, PF, AF, ZF, SF, OF, DF = 0x1, 0x4, 0x10, 0x40, 0x80, 0x800, 0x400
ARITH = CF | PF | AF | ZF | SF | OF
M32 = 0xFFFFFFFF

R32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]
R16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"]
R8 = ["al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"]
SFX = {8: "b", 16: "w", 32: "l"}
REGS = {8: R8, 16: R16, 32: R32}

E32 = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000,
       0x80000001, 0xFFFFFFFE, 0xFFFFFFFF]
E16 = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0x8001, 0xFFFE, 0xFFFF]
E8 = [0, 1, 2, 0x0F, 0x10, 0x7F, 0x80, 0x81, 0xFE, 0xFF]
EDGES = {8: E8, 16: E16, 32: E32}
SHIFT_COUNTS = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 255]

CONDS = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"]


class Case:
    def __init__(self, asm, regs, flags, data=None, stack=None, undef=0, segv_vector=13, derived=None):
        self.asm = [asm] if isinstance(asm, str) else list(asm)
        self.regs = [v & M32 for v in regs]
        self.regs[4] = ESP0
        self.flags = flags & (ARITH | DF)
        self.data = bytes(data) if data is not None else bytes(DATA_SIZE)
        self.stack = bytes(stack) if stack is not None else bytes(STACK_SIZE)
        self.undef = undef
        self.segv_vector = segv_vector
        # derived: an exception vector the generator asserts from the SDM instead of asking qemu,
        # for the few inputs that crash qemu-i386 7.2 itself (see README.md); state must not change.
        self.derived = derived


# ---------------------------------------------------------------------------------------- helpers

def val(r, bits):
    if bits in EDGES and r.random() < 0.45:
        return r.choice(EDGES[bits])
    return r.getrandbits(bits)


def rflags(r, df=0.2):
    p = r.random()
    if p < 0.08:
        f = 0
    elif p < 0.16:
        f = ARITH
    else:
        f = r.getrandbits(12) & ARITH
    if r.random() < df:
        f |= DF
    return f


def rregs(r):
    regs = [r.getrandbits(32) for _ in range(8)]
    regs[4] = ESP0
    return regs


def reg_index(name):
    for table in (R32, R16, R8):
        if name in table:
            i = table.index(name)
            return i & 3 if table is R8 else i
    raise ValueError(name)


def setr(regs, name, v):
    """Stores v into the (sub-)register called name, keeping the other bits."""
    if name in R32:
        regs[R32.index(name)] = v & M32
    elif name in R16:
        i = R16.index(name)
        regs[i] = (regs[i] & 0xFFFF0000) | (v & 0xFFFF)
    else:
        i = R8.index(name)
        if i < 4:
            regs[i] = (regs[i] & 0xFFFFFF00) | (v & 0xFF)
        else:
            regs[i - 4] = (regs[i - 4] & 0xFFFF00FF) | ((v & 0xFF) << 8)


def pick(r, bits, avoid=()):
    """A general register of the given size, never ESP/SP, not aliasing any register in avoid."""
    avoid_idx = {reg_index(a) for a in avoid}
    choices = [n for n in REGS[bits] if n not in ("esp", "sp") and reg_index(n) not in avoid_idx]
    return r.choice(choices)


def imm_text(v, bits):
    return f"${v & ((1 << bits) - 1):#x}"


def memop(r, regs, size, avoid=(), data=None, lo=0, hi=DATA_SIZE):
    """A memory operand addressing size bytes inside the data area [lo, hi).

    Sets up the base/index registers in regs (never one named in avoid) and fills the bytes at the
    address with random data when data (a bytearray of the data area) is given.
    Returns (operand text, data offset).
    """
    off = r.randrange(lo, hi - size + 1)
    avoid_idx = {reg_index(a) for a in avoid}
    bases = [n for n in ("ebx", "esi", "edi", "ebp", "eax", "ecx", "edx") if reg_index(n) not in avoid_idx]
    kind = r.random()
    addr = DATA + off
    if kind < 0.15 or not bases:
        text = f"{addr:#x}"
    elif kind < 0.35 and len(bases) >= 2:
        base, index = r.sample(bases, 2)
        scale = r.choice([1, 2, 4, 8])
        idx = r.randrange(0, 16)
        disp = r.randrange(-64, 64)
        regs[R32.index(index)] = idx
        regs[R32.index(base)] = (addr - disp - idx * scale) & M32
        text = f"{disp:#x}(%{base},%{index},{scale})" if disp else f"(%{base},%{index},{scale})"
    else:
        base = r.choice(bases)
        disp = r.choice([0, r.randrange(-128, 128), r.randrange(-0x10000, 0x10000)])
        regs[R32.index(base)] = (addr - disp) & M32
        text = f"{disp:#x}(%{base})" if disp else f"(%{base})"
    if data is not None:
        for k in range(max(0, off - 4), min(DATA_SIZE, off + size + 4)):
            data[k] = r.getrandbits(8)
        if r.random() < 0.4:
            v = val(r, size * 8)
            data[off:off + size] = v.to_bytes(size, "little")
    return text, off


def randdata(r, n=DATA_SIZE):
    return bytearray(r.getrandbits(8) for _ in range(n))


# -------------------------------------------------------------------------------------------- ALU

ALU_EXT = {"add": 0, "or": 1, "adc": 2, "sbb": 3, "and": 4, "sub": 5, "xor": 6, "cmp": 7}


def alu(r):
    cases = []
    for op in ["add", "adc", "sub", "sbb", "cmp", "and", "or", "xor", "test"]:
        und = AF if op in ("and", "or", "xor", "test") else 0
        for bits in (8, 16, 32):
            s = SFX[bits]
            forms = ["rr", "rr_load", "ri", "ri8", "rm", "mr", "mi"]
            if op == "test":
                forms = ["rr", "ri", "rm", "mr", "mi"]
            for form in forms:
                for _ in range(12 if form.startswith("rr") else 9):
                    regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
                    dst = pick(r, bits)
                    src = pick(r, bits) if r.random() < 0.85 else dst
                    setr(regs, src, val(r, bits))
                    setr(regs, dst, val(r, bits))
                    if form == "rr":
                        asm = f"{op}{s} %{src}, %{dst}"
                    elif form == "rr_load":
                        asm = f"{{load}} {op}{s} %{src}, %{dst}"
                    elif form in ("ri", "ri8"):
                        imm = val(r, bits) if form == "ri" else r.randrange(-128, 128)
                        if form == "ri8" and r.random() < 0.3:
                            imm = r.choice([-128, -1, 0, 1, 127])
                        asm = f"{op}{s} {imm_text(imm, bits)}, %{dst}"
                    elif form == "rm":
                        m, _ = memop(r, regs, bits // 8, avoid=(dst,), data=data)
                        asm = f"{op}{s} {m}, %{dst}" if op != "test" else f"{op}{s} %{dst}, {m}"
                    elif form == "mr":
                        m, _ = memop(r, regs, bits // 8, avoid=(src,), data=data)
                        asm = f"{op}{s} %{src}, {m}"
                    else:
                        m, _ = memop(r, regs, bits // 8, data=data)
                        imm = val(r, bits) if r.random() < 0.6 else r.randrange(-128, 128)
                        asm = f"{op}{s} {imm_text(imm, bits)}, {m}"
                    cases.append(Case(asm, regs, fl, data, undef=und))
        if op != "test":
            # 0x82 is an alias of 0x80 (8-bit r/m, imm8) in 32-bit mode; GNU as never emits it.
            for _ in range(6):
                regs, fl = rregs(r), rflags(r)
                rm = r.randrange(8)
                imm = r.getrandbits(8)
                asm = f".byte 0x82, {0xC0 | (ALU_EXT[op] << 3) | rm:#x}, {imm:#x}"
                cases.append(Case(asm, regs, fl, undef=und))
    for op in ["neg", "not", "inc", "dec"]:
        for bits in (8, 16, 32):
            s = SFX[bits]
            for form in ("r", "m"):
                for _ in range(14):
                    regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
                    if form == "r":
                        dst = pick(r, bits)
                        setr(regs, dst, val(r, bits))
                        asm = f"{op}{s} %{dst}"
                    else:
                        m, _ = memop(r, regs, bits // 8, data=data)
                        asm = f"{op}{s} {m}"
                    cases.append(Case(asm, regs, fl, data))
    # INC/DEC r32 through the FF /0 and FF /1 encodings (GNU as picks 40+r / 48+r).
    for _ in range(16):
        regs, fl = rregs(r), rflags(r)
        rm = r.choice([0, 1, 2, 3, 5, 6, 7])
        ext = r.randrange(2)
        regs[rm] = val(r, 32)
        cases.append(Case(f".byte 0xff, {0xC0 | (ext << 3) | rm:#x}", regs, fl))
    # Two-instruction carry chains: 64-bit add and subtract.
    for op1, op2 in (("add", "adc"), ("sub", "sbb")):
        for _ in range(20):
            regs, fl = rregs(r), rflags(r)
            for i in (0, 1, 2, 3):
                regs[i] = val(r, 32)
            cases.append(Case([f"{op1}l %ecx, %eax", f"{op2}l %ebx, %edx"], regs, fl))
    return cases


# ------------------------------------------------------------------------------- shifts and rotates

def shift_undef(op, bits, count):
    m = count & 31
    if m == 0:
        return 0
    u = 0
    if op in ("shl", "shr", "sar", "sal"):
        u |= AF
        if m != 1:
            u |= OF
        if op in ("shl", "shr", "sal") and m >= bits:
            u |= CF
    else:
        if m != 1:
            u |= OF
    return u


def shifts(r):
    cases = []
    for op in ["shl", "shr", "sar", "rol", "ror", "rcl", "rcr", "sal"]:
        for bits in (8, 16, 32):
            s = SFX[bits]
            for form in ("1", "cl", "imm", "m1", "mcl", "mimm"):
                n = 10 if op == "sal" else (22 if form in ("cl", "imm") else 8)
                for k in range(n):
                    regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
                    count = SHIFT_COUNTS[k] if k < len(SHIFT_COUNTS) and form in ("cl", "imm") \
                        else (r.randrange(256) if r.random() < 0.4 else r.randrange(0, 34))
                    if form in ("1", "m1"):
                        count = 1
                    if form.startswith("m"):
                        dst, _ = memop(r, regs, bits // 8, avoid=("ecx",), data=data)
                    else:
                        dst = "%" + pick(r, bits, avoid=("ecx",))
                        setr(regs, dst[1:], val(r, bits))
                    if form in ("cl", "mcl"):
                        setr(regs, "cl", count)
                        asm = f"{op}{s} %cl, {dst}"
                    elif form in ("imm", "mimm"):
                        asm = f"{op}{s} ${count:#x}, {dst}"
                    else:
                        asm = f"{op}{s} {dst}"
                    cases.append(Case(asm, regs, fl, data, undef=shift_undef(op, bits, count)))
    # C0/C1 with an immediate count of 1 (GNU as always picks D0/D1 for $1).
    for ext in range(8):
        if ext == 6:
            continue
        for opc in (0xC0, 0xC1):
            for _ in range(3):
                regs, fl = rregs(r), rflags(r)
                rm = r.choice([0, 1, 2, 3, 5, 6, 7])
                asm = f".byte {opc:#x}, {0xC0 | (ext << 3) | rm:#x}, 1"
                name = ["rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"][ext]
                cases.append(Case(asm, regs, fl, undef=shift_undef(name, 8, 1)))
    for op in ("shld", "shrd"):
        for bits in (16, 32):
            s = SFX[bits]
            for form in ("imm", "cl", "mimm", "mcl"):
                for k in range(24):
                    regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
                    count = r.choice(SHIFT_COUNTS + [r.randrange(256)] * 4)
                    while (count & 31) > bits:   # SDM: result undefined for count > operand size
                        count = r.randrange(256)
                    src = pick(r, bits, avoid=("ecx",))
                    setr(regs, src, val(r, bits))
                    if form.startswith("m"):
                        dst, _ = memop(r, regs, bits // 8, avoid=("ecx", src), data=data)
                    else:
                        d = pick(r, bits, avoid=("ecx",))
                        setr(regs, d, val(r, bits))
                        dst = "%" + d
                    if form.endswith("cl"):
                        setr(regs, "cl", count)
                        asm = f"{op}{s} %cl, %{src}, {dst}"
                    else:
                        asm = f"{op}{s} ${count:#x}, %{src}, {dst}"
                    m = count & 31
                    und = 0 if m == 0 else (AF | (OF if m != 1 else 0))
                    cases.append(Case(asm, regs, fl, data, undef=und))
    return cases


# ---------------------------------------------------------------------------------------- mul/div

def sx(v, bits):
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def set_dividend(regs, bits, v):
    v &= (1 << (2 * bits)) - 1
    if bits == 8:
        setr(regs, "ax", v)
    elif bits == 16:
        setr(regs, "ax", v)
        setr(regs, "dx", v >> 16)
    else:
        regs[0] = v & M32
        regs[2] = v >> 32


def muldiv(r):
    cases = []
    mul_undef = SF | ZF | AF | PF
    for op in ("mul", "imul"):
        for bits in (8, 16, 32):
            for form in ("r", "m"):
                for _ in range(24):
                    regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
                    setr(regs, REGS[bits][0], val(r, bits))
                    if form == "r":
                        src = pick(r, bits)
                        setr(regs, src, val(r, bits))
                        opnd = "%" + src
                    else:
                        opnd, _ = memop(r, regs, bits // 8, avoid=("eax", "edx"), data=data)
                    cases.append(Case(f"{op}{SFX[bits]} {opnd}", regs, fl, data, undef=mul_undef))
    for bits in (16, 32):
        s = SFX[bits]
        for form in ("rr", "rm", "rri8", "rri", "rmi"):
            for _ in range(24):
                regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
                dst = pick(r, bits)
                setr(regs, dst, val(r, bits))
                if form in ("rr", "rri8", "rri"):
                    src = pick(r, bits)
                    setr(regs, src, val(r, bits))
                    src = "%" + src
                else:
                    src, _ = memop(r, regs, bits // 8, avoid=(dst,), data=data)
                if form in ("rr", "rm"):
                    asm = f"imul{s} {src}, %{dst}"
                else:
                    imm = r.randrange(-128, 128) if form == "rri8" else val(r, bits)
                    asm = f"imul{s} {imm_text(imm, bits)}, {src}, %{dst}"
                cases.append(Case(asm, regs, fl, data, undef=mul_undef))
    div_undef = ARITH
    for op in ("div", "idiv"):
        for bits in (8, 16, 32):
            for form in ("r", "m"):
                for k in range(40):
                    regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
                    p = r.random()
                    if p < 0.08:
                        d, dividend = 0, r.getrandbits(2 * bits)
                    elif p < 0.18:
                        d, dividend = r.getrandbits(bits) | 1, r.getrandbits(2 * bits)
                    elif op == "div":
                        d = val(r, bits) or 1
                        q = r.getrandbits(bits) if r.random() < 0.5 else r.choice(EDGES[bits])
                        dividend = q * d + r.randrange(d)
                    else:
                        while True:
                            d = sx(val(r, bits), bits) or -1
                            q = sx(r.getrandbits(bits) >> r.randrange(bits), bits)
                            rem = r.randrange(abs(d))
                            if q * d < 0:
                                rem = -rem
                            dividend = q * d + rem
                            lim = 1 << (bits - 1)
                            if -lim <= q < lim and -(1 << (2 * bits - 1)) <= dividend < (1 << (2 * bits - 1)):
                                break
                    if op == "idiv" and k < 3:
                        # the quotient-overflow classics: most negative dividend / -1
                        d, dividend = -1, -(1 << (2 * bits - 1)) if k == 0 else -(1 << (bits - 1))
                    set_dividend(regs, bits, dividend)
                    if form == "r":
                        src = pick(r, bits, avoid=("eax", "edx"))
                        setr(regs, src, d)
                        opnd = "%" + src
                    else:
                        opnd, off = memop(r, regs, bits // 8, avoid=("eax", "edx"), data=data)
                        data[off:off + bits // 8] = (d & ((1 << bits) - 1)).to_bytes(bits // 8, "little")
                    # qemu-i386 7.2 computes INT_MIN / -1 on the host for 16- and 32-bit IDIV and dies of
                    # SIGFPE itself: those two inputs are derived (#DE, no state change), not recorded.
                    crash = op == "idiv" and bits > 8 and d == -1 and dividend == -(1 << (2 * bits - 1))
                    cases.append(Case(f"{op}{SFX[bits]} {opnd}", regs, fl, data, undef=div_undef,
                                      derived=0 if crash else None))
    return cases


# -------------------------------------------------------------------------------------------- BCD

def bcd(r):
    cases = []
    for op, und in (("daa", OF), ("das", OF)):
        for al in range(256):
            regs, fl = rregs(r), rflags(r)
            setr(regs, "al", al)
            cases.append(Case(op, regs, fl, undef=und))
        for _ in range(64):
            regs, fl = rregs(r), rflags(r)
            cases.append(Case(op, regs, fl, undef=und))
    for op in ("aaa", "aas"):
        for _ in range(200):
            regs, fl = rregs(r), rflags(r)
            if r.random() < 0.5:
                setr(regs, "al", r.choice([0, 9, 0x0A, 0x0F, 0x10, 0x79, 0x7A, 0x99, 0xF9, 0xFA, 0xFF]))
            cases.append(Case(op, regs, fl, undef=OF | SF | ZF | PF))
    for op, opc in (("aam", 0xD4), ("aad", 0xD5)):
        for base in (10, 16, 7, 2, 1, 255, 0):
            for _ in range(40 if base == 10 else 16):
                regs, fl = rregs(r), rflags(r)
                asm = op if base == 10 else f".byte {opc:#x}, {base:#x}"
                if r.random() < 0.5:
                    asm = f"{op} ${base:#x}"
                cases.append(Case(asm, regs, fl, undef=OF | AF | CF))
    # a packed BCD add/sub sequence
    for op, adj in (("addb", "daa"), ("subb", "das"), ("addb", "aaa"), ("subb", "aas")):
        for _ in range(24):
            regs, fl = rregs(r), rflags(r)
            setr(regs, "al", r.randrange(10) * 16 + r.randrange(10))
            setr(regs, "bl", r.randrange(10) * 16 + r.randrange(10))
            und = OF if adj in ("daa", "das") else OF | SF | ZF | PF
            cases.append(Case([f"{op} %bl, %al", adj], regs, fl, undef=und))
    return cases


# -------------------------------------------------------------------------------------------- bit

def cond_true(cc, f):
    c, z, s, o, p = f & CF, f & ZF, bool(f & SF), bool(f & OF), f & PF
    t = {"o": o, "b": c, "e": z, "be": c or z, "s": s, "p": p, "l": s != o, "le": z or (s != o)}
    base = cc[1:] if cc.startswith("n") else cc
    if cc in ("ae", "a", "ge", "g"):
        base = {"ae": "b", "a": "be", "ge": "l", "g": "le"}[cc]
        return not t[base]
    if cc.startswith("n"):
        return not t[base]
    return bool(t[cc])


def bit(r):
    cases = []
    for op in ("bt", "bts", "btr", "btc"):
        und = OF | SF | AF | PF
        for bits in (16, 32):
            s = SFX[bits]
            for form in ("rr", "ri", "mr", "mi"):
                for _ in range(16 if form != "mr" else 30):
                    regs, fl, data = rregs(r), rflags(r), randdata(r)
                    if form in ("rr", "ri"):
                        dst = pick(r, bits)
                        setr(regs, dst, val(r, bits))
                        dst = "%" + dst
                    if form == "rr":
                        src = pick(r, bits)
                        setr(regs, src, r.choice([r.getrandbits(bits), r.randrange(64)]))
                        asm = f"{op}{s} %{src}, {dst}"
                    elif form == "ri":
                        asm = f"{op}{s} ${r.randrange(256):#x}, {dst}"
                    elif form == "mi":
                        m, _ = memop(r, regs, bits // 8)
                        asm = f"{op}{s} ${r.randrange(256):#x}, {m}"
                    else:
                        # register bit offset addresses outside the operand, both directions
                        base = r.choice(["ebx", "esi", "edi", "ebp"])
                        src = pick(r, bits, avoid=(base,))
                        offset = r.randrange(-1000, 992)
                        if r.random() < 0.2:
                            offset = r.choice([0, 1, -1, bits - 1, bits, -bits, -bits - 1, 127, -128])
                        setr(regs, src, offset)
                        regs[R32.index(base)] = DATA + 0x80
                        asm = f"{op}{s} %{src}, (%{base})"
                    cases.append(Case(asm, regs, fl, data, undef=und))
    for op in ("bsf", "bsr"):
        for bits in (16, 32):
            for form in ("r", "m"):
                for k in range(30):
                    regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
                    dst = pick(r, bits)
                    v = 0 if k < 6 else (1 << r.randrange(bits)) | (r.getrandbits(bits) & r.getrandbits(bits)
                                                                     if r.random() < 0.5 else 0)
                    if k > 20:
                        v = val(r, bits)
                    if form == "r":
                        src = pick(r, bits)
                        setr(regs, src, v)
                        src = "%" + src
                    else:
                        src, off = memop(r, regs, bits // 8, avoid=(dst,), data=data)
                        data[off:off + bits // 8] = v.to_bytes(bits // 8, "little")
                    cases.append(Case(f"{op}{SFX[bits]} {src}, %{dst}", regs, fl, data,
                                      undef=CF | OF | SF | AF | PF))
    for reg in R32:
        if reg == "esp":
            continue
        for _ in range(4):
            regs, fl = rregs(r), rflags(r)
            cases.append(Case(f"bswap %{reg}", regs, fl))
    for cc in CONDS:
        for _ in range(12):
            regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
            if r.random() < 0.7:
                asm = f"set{cc} %{r.choice(R8)}"
            else:
                m, _ = memop(r, regs, 1, data=data)
                asm = f"set{cc} {m}"
            cases.append(Case(asm, regs, fl, data))
        for _ in range(12):
            regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
            bits = r.choice([16, 32])
            dst = pick(r, bits)
            if r.random() < 0.7:
                asm = f"cmov{cc}{SFX[bits]} %{pick(r, bits)}, %{dst}"
            else:
                m, _ = memop(r, regs, bits // 8, avoid=(dst,), data=data)
                asm = f"cmov{cc}{SFX[bits]} {m}, %{dst}"
            cases.append(Case(asm, regs, fl, data))
        for near in (False, True):
            for _ in range(6):
                regs, fl = rregs(r), rflags(r)
                pre = "{disp32} " if near else ""
                asm = [f"{pre}j{cc} 1f", "movl $0x11111111, %eax", "jmp 2f",
                       "1: movl $0x22222222, %eax", "2:"]
                cases.append(Case(asm, regs, fl))
    for op in ("loop", "loope", "loopne", "jecxz"):
        for addr16 in (False, True):
            for k in range(16):
                regs, fl = rregs(r), rflags(r)
                cnt = [0, 1, 2, 0x10000, 0x10001][k] if k < 5 else r.choice([r.getrandbits(32), r.randrange(4)])
                regs[1] = cnt
                mnem = op
                if addr16:
                    mnem = "jcxz" if op == "jecxz" else f"addr16 {op}"
                asm = [f"{mnem} 1f", "movl $0x11111111, %edx", "jmp 2f", "1: movl $0x22222222, %edx", "2:"]
                cases.append(Case(asm, regs, fl))
    # a real counted loop
    for _ in range(8):
        regs, fl = rregs(r), rflags(r)
        regs[1] = r.randrange(1, 20)
        cases.append(Case(["1: addl %ecx, %eax", "loop 1b"], regs, fl))
    return cases


# ----------------------------------------------------------------------------------- data movement

def mov(r):
    cases = []
    for bits in (8, 16, 32):
        s = SFX[bits]
        for form in ("rr", "rr_load", "ri", "rm", "mr", "mi", "moffs_load", "moffs_store"):
            for _ in range(8):
                regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
                dst, src = pick(r, bits), pick(r, bits)
                if form == "rr":
                    asm = f"mov{s} %{src}, %{dst}"
                elif form == "rr_load":
                    asm = f"{{load}} mov{s} %{src}, %{dst}"
                elif form == "ri":
                    asm = f"mov{s} {imm_text(val(r, bits), bits)}, %{dst}"
                elif form == "rm":
                    m, _ = memop(r, regs, bits // 8, avoid=(dst,), data=data)
                    asm = f"mov{s} {m}, %{dst}"
                elif form == "mr":
                    m, _ = memop(r, regs, bits // 8, avoid=(src,), data=data)
                    asm = f"mov{s} %{src}, {m}"
                elif form == "mi":
                    m, _ = memop(r, regs, bits // 8, data=data)
                    asm = f"mov{s} {imm_text(val(r, bits), bits)}, {m}"
                else:
                    off = r.randrange(DATA_SIZE - 4)
                    data[off:off + 4] = r.getrandbits(32).to_bytes(4, "little")
                    acc = REGS[bits][0]
                    asm = (f"mov{s} {DATA + off:#x}, %{acc}" if form == "moffs_load"
                           else f"mov{s} %{acc}, {DATA + off:#x}")
                cases.append(Case(asm, regs, fl, data))
    for op in ("movzb", "movsb", "movzw", "movsw"):
        sb = 8 if op.endswith("b") else 16
        for db in ((16, 32) if sb == 8 else (32,)):
            for form in ("r", "m"):
                for _ in range(10):
                    regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
                    dst = pick(r, db)
                    if form == "r":
                        src = r.choice(R8) if sb == 8 else pick(r, 16)
                        setr(regs, src, r.choice(EDGES[sb]) if r.random() < 0.5 else r.getrandbits(sb))
                        src = "%" + src
                    else:
                        src, _ = memop(r, regs, sb // 8, avoid=(dst,), data=data)
                    asm = f"{op}{SFX[db]} {src}, %{dst}" if op[-1] == "b" else f"{op[:4]}wl {src}, %{dst}"
                    if op[-1] == "b":
                        asm = f"{op[:4]}b{SFX[db]} {src}, %{dst}"
                    cases.append(Case(asm, regs, fl, data))
    for bits in (8, 16, 32):
        s = SFX[bits]
        for form in ("rr", "rm"):
            for _ in range(8):
                regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
                a, b = pick(r, bits), pick(r, bits)
                if form == "rr":
                    asm = f"xchg{s} %{a}, %{b}"
                else:
                    m, _ = memop(r, regs, bits // 8, avoid=(a,), data=data)
                    asm = f"xchg{s} %{a}, {m}"
                cases.append(Case(asm, regs, fl, data))
            for form in ("rr", "rm"):
                for _ in range(12):
                    regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
                    a, b = pick(r, bits), pick(r, bits)
                    setr(regs, a, val(r, bits))
                    setr(regs, b, val(r, bits))
                    if form == "rr":
                        asm = f"xadd{s} %{a}, %{b}"
                    else:
                        m, _ = memop(r, regs, bits // 8, avoid=(a,), data=data)
                        asm = f"xadd{s} %{a}, {m}"
                    cases.append(Case(asm, regs, fl, data))
            for form in ("rr", "rm"):
                for k in range(16):
                    regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
                    acc = REGS[bits][0]
                    a = pick(r, bits, avoid=(acc,))
                    setr(regs, a, val(r, bits))
                    cur = val(r, bits)
                    if form == "rr":
                        b = pick(r, bits)
                        setr(regs, b, cur)
                        opnd = "%" + b
                    else:
                        opnd, off = memop(r, regs, bits // 8, avoid=(a, "eax"), data=data)
                        data[off:off + bits // 8] = cur.to_bytes(bits // 8, "little")
                    setr(regs, acc, cur if k % 2 == 0 else val(r, bits))
                    cases.append(Case(f"cmpxchg{s} %{a}, {opnd}", regs, fl, data))
    # short-form XCHG with EAX (90+r) and the 16-bit form
    for reg in ("ecx", "edx", "ebx", "ebp", "esi", "edi"):
        regs, fl = rregs(r), rflags(r)
        cases.append(Case(f"xchgl %eax, %{reg}", regs, fl))
        regs, fl = rregs(r), rflags(r)
        cases.append(Case(f"xchgw %ax, %{reg[1:]}", regs, fl))
    for k in range(24):
        regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
        m, off = memop(r, regs, 8, avoid=("eax", "ecx", "edx", "ebx"), data=data)
        cur = int.from_bytes(data[off:off + 8], "little")
        if k % 2 == 0:
            regs[0], regs[2] = cur & M32, cur >> 32
        elif k % 4 == 1:
            regs[0] = cur & M32
        cases.append(Case(f"cmpxchg8b {m}", regs, fl, data))
    regs, fl = rregs(r), rflags(r)
    cases.append(Case(".byte 0x0f, 0xc7, 0xc8", regs, fl))            # CMPXCHG8B with a register: #UD
    cases += lea_cases(r)
    for op in ("cbtw", "cwtl", "cwtd", "cltd"):
        for k in range(12):
            regs, fl = rregs(r), rflags(r)
            if k < 6:
                regs[0] = r.choice(E32)
            cases.append(Case(op, regs, fl))
    for _ in range(16):
        regs, fl = rregs(r), rflags(r)
        cases.append(Case("lahf", regs, fl))
        regs, fl = rregs(r), rflags(r)
        cases.append(Case("sahf", regs, fl))
    cases += stack_cases(r)
    for _ in range(16):
        regs, fl, data = rregs(r), rflags(r), randdata(r)
        regs[3] = DATA + r.randrange(0, 0x80)
        if r.random() < 0.3:
            regs[3] = DATA
        if r.random() < 0.5:
            asm = "xlat"
        else:
            asm = "xlatb"
        cases.append(Case(asm, regs, fl, data))
    for bits in (16, 32):
        for k in range(16):
            regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
            m, off = memop(r, regs, bits // 4, avoid=("eax",))
            lo = sx(r.getrandbits(bits), bits) >> r.randrange(bits)
            hi = lo + r.randrange(1000)
            idx = r.choice([lo, hi, (lo + hi) // 2])
            if k >= 12:
                idx = r.choice([lo - 1, hi + 1])   # out of bounds: #BR (Linux reports SIGSEGV)
            n = bits // 8
            mask = (1 << bits) - 1
            if (lo & mask) != ((lo + (1 << bits)) & mask) or not (-(1 << (bits - 1)) <= hi < (1 << (bits - 1))):
                hi = lo
            data[off:off + n] = (lo & mask).to_bytes(n, "little")
            data[off + n:off + 2 * n] = (hi & mask).to_bytes(n, "little")
            setr(regs, REGS[bits][0], idx)
            cases.append(Case(f"bound{SFX[bits]} %{REGS[bits][0]}, {m}", regs, fl, data, segv_vector=5))
    return cases


def lea_cases(r):
    cases = []
    bases = [n for n in R32]
    for _ in range(120):
        regs, fl = rregs(r), rflags(r)
        dst = pick(r, 32) if r.random() < 0.8 else pick(r, 16)
        base = r.choice(bases + [None])
        index = r.choice([n for n in R32 if n != "esp"] + [None])
        scale = r.choice([1, 2, 4, 8])
        disp = r.choice([0, r.randrange(-128, 128), r.getrandbits(32) - (1 << 31)])
        if base is None and index is None:
            base = "ebp"
        inner = ""
        if base or index:
            inner = "(" + (f"%{base}" if base else "")
            if index:
                inner += f",%{index},{scale}"
            inner += ")"
        dtext = f"{disp:#x}" if (disp or base is None) else ""
        if base == "ebp" and r.random() < 0.5 and not disp:
            dtext = "0"
        cases.append(Case(f"lea{'l' if dst in R32 else 'w'} {dtext}{inner}, %{dst}", regs, fl))
    modes16 = ["(%bx,%si)", "(%bx,%di)", "(%bp,%si)", "(%bp,%di)", "(%si)", "(%di)", "(%bp)", "(%bx)"]
    for _ in range(60):
        regs, fl = rregs(r), rflags(r)
        mode = r.choice(modes16 + [""])
        disp = r.choice([0, r.randrange(-128, 128), r.getrandbits(16)])
        if mode == "":
            disp = r.getrandbits(16)
        dst = pick(r, r.choice([16, 32]))
        dtext = f"{disp:#x}" if disp or not mode else ""
        cases.append(Case(f"addr16 lea{'l' if dst in R32 else 'w'} {dtext}{mode}, %{dst}", regs, fl))
    regs, fl = rregs(r), rflags(r)
    cases.append(Case(".byte 0x8d, 0xc1", regs, fl))   # LEA with a register source: #UD
    return cases


def stack_cases(r):
    cases = []
    stack = lambda: bytearray(r.getrandbits(8) for _ in range(STACK_SIZE))
    for _ in range(12):
        regs, fl = rregs(r), rflags(r)
        reg = r.choice([n for n in R32])
        cases.append(Case(f"pushl %{reg}", regs, fl))
        regs, fl = rregs(r), rflags(r)
        cases.append(Case(f"popl %{r.choice(R32)}", regs, fl, stack=stack()))
        regs, fl = rregs(r), rflags(r)
        cases.append(Case(f"pushw %{r.choice(R16)}", regs, fl))
        regs, fl = rregs(r), rflags(r)
        cases.append(Case(f"popw %{r.choice(R16)}", regs, fl, stack=stack()))
        regs, fl = rregs(r), rflags(r)
        cases.append(Case(f"pushl ${r.randrange(-128, 128):#x}" if r.random() < 0.5
                          else f"pushl ${r.getrandbits(32):#x}", regs, fl))
        regs, fl = rregs(r), rflags(r)
        cases.append(Case(f"pushw ${r.getrandbits(16):#x}", regs, fl))
    for _ in range(10):
        regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
        m, _ = memop(r, regs, 4, data=data)
        cases.append(Case(f"pushl {m}", regs, fl, data))
        regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
        m, _ = memop(r, regs, 4)
        cases.append(Case(f"popl {m}", regs, fl, data, stack()))
        regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
        m, _ = memop(r, regs, 2)
        cases.append(Case(f"popw {m}", regs, fl, data, stack()))
    # ESP as operand and as address base: the SDM's special cases
    for asm in (["pushl %esp"], ["pushw %sp"], ["popl %esp"], ["popw %sp"], ["popl 4(%esp)"], ["popl (%esp)"],
                ["popl -4(%esp)"], ["pushl (%esp)"], ["pushl 8(%esp)"], ["pushl %esp", "popl %eax"]):
        for _ in range(2):
            regs, fl = rregs(r), rflags(r)
            cases.append(Case(asm, regs, fl, stack=stack()))
    for _ in range(8):
        regs, fl = rregs(r), rflags(r)
        cases.append(Case("pushal", regs, fl))
        regs, fl = rregs(r), rflags(r)
        cases.append(Case("popal", regs, fl, stack=stack()))
        regs, fl = rregs(r), rflags(r)
        cases.append(Case("pushaw", regs, fl))
        regs, fl = rregs(r), rflags(r)
        cases.append(Case("popaw", regs, fl, stack=stack()))
        regs, fl = rregs(r), rflags(r)
        cases.append(Case(["pushal", "popal"], regs, fl))
    for _ in range(16):
        regs, fl = rregs(r), rflags(r)
        cases.append(Case("pushfl", regs, fl))
        regs, fl = rregs(r), rflags(r)
        cases.append(Case("pushfw", regs, fl))
        # POPF with the user-visible arithmetic bits and DF only (plus bit 1 and IF, as pushed)
        regs, fl = rregs(r), rflags(r)
        v = (r.getrandbits(16) & (ARITH | DF)) | 0x202
        cases.append(Case([f"pushl ${v:#x}", "popfl"], regs, fl))
        regs, fl = rregs(r), rflags(r)
        cases.append(Case([f"pushw ${v:#x}", "popfw"], regs, fl))
    for level in (0, 1, 3):
        for _ in range(8):
            regs, fl = rregs(r), rflags(r)
            regs[5] = STACK + r.randrange(0xA0, 0xF0, 4)     # EBP inside the window, above ESP
            size = r.choice([0, 4, 8, 0x10, 0x20])
            cases.append(Case(f"enter ${size:#x}, ${level}", regs, fl, stack=stack()))
            regs, fl = rregs(r), rflags(r)
            regs[5] = STACK + r.randrange(0xA0, 0xF0, 4)
            cases.append(Case([f"enter ${size:#x}, ${level}", "leave"], regs, fl, stack=stack()))
    for _ in range(8):
        regs, fl = rregs(r), rflags(r)
        regs[5] = STACK + r.randrange(0x80, 0xF8, 4)
        cases.append(Case("leave", regs, fl, stack=stack()))
        regs, fl = rregs(r), rflags(r)
        regs[5] = STACK + r.randrange(0x80, 0xF8, 2)   # LEAVE copies all of EBP to ESP (32-bit stack)
        cases.append(Case("leavew", regs, fl, stack=stack()))
    return cases


# ----------------------------------------------------------------------------------------- string

def string(r):
    cases = []
    for op in ("movs", "stos", "lods", "scas", "cmps"):
        for bits in (8, 16, 32):
            n = bits // 8
            for prefix in ("", "rep", "repe", "repne"):
                if prefix == "repe" and op not in ("scas", "cmps") and r.random() < 0.5:
                    continue
                for k in range(10):
                    regs, fl, data = rregs(r), rflags(r, df=0.5), randdata(r)
                    addr16 = k >= 7
                    count = [0, 1][k] if k < 2 else r.randrange(2, 9)
                    df = fl & DF
                    # ESI in the first half, EDI in the second; when going down, start high.
                    si = 0x00 + (0x70 if df else 0x08) + r.randrange(0, 8)
                    di = 0x80 + (0x70 if df else 0x08) + r.randrange(0, 8)
                    if op in ("scas", "cmps"):
                        # plant equal elements so REPE/REPNE stop at different places
                        for j in range(count + 1):
                            step = -n if df else n
                            a, b = si + j * step, di + j * step
                            if r.random() < 0.6:
                                data[b:b + n] = data[a:a + n]
                        acc = data[si:si + n] if r.random() < 0.5 else data[di + n * r.randrange(count + 1) * (-1 if df else 1):][:n]
                        setr(regs, REGS[bits][0], int.from_bytes(bytes(acc).ljust(n, b"\0"), "little"))
                    if addr16:
                        regs[6] = (regs[6] & 0xFFFF0000) | (DATA + si)
                        regs[7] = (regs[7] & 0xFFFF0000) | (DATA + di)
                        regs[1] = (regs[1] & 0xFFFF0000) | count
                    else:
                        regs[6], regs[7], regs[1] = DATA + si, DATA + di, count
                    mnem = f"{op}{SFX[bits]}"
                    text = f"{prefix} {mnem}" if prefix else mnem
                    if addr16:
                        text = "addr16 " + text
                    if prefix == "repne" and op not in ("scas", "cmps"):
                        text = (".byte 0x67, " if addr16 else ".byte ") + {"movs": "0xf2, 0xa4", "stos": "0xf2, 0xaa",
                                                                           "lods": "0xf2, 0xac"}[op]
                        if bits == 16:
                            text = text.replace("0xf2,", "0x66, 0xf2,")
                        if bits > 8:
                            text = text[:-1] + chr(ord(text[-1]) + 1)
                    cases.append(Case(text, regs, fl, data))
    # segment overrides on the source (DS/ES/SS/CS are flat under Linux)
    for seg in ("es", "ss", "cs", "ds"):
        for _ in range(4):
            regs, fl, data = rregs(r), rflags(r), randdata(r)
            fl &= ~DF
            regs[6], regs[7], regs[1] = DATA + 8, DATA + 0x88, r.randrange(1, 6)
            cases.append(Case(f"rep movsb %{seg}:(%esi), %es:(%edi)", regs, fl, data))
    return cases


# ------------------------------------------------------------------------------------------- misc

def misc(r):
    cases = []
    nops = ["nop", "xchgl %eax, %eax", "xchgw %ax, %ax", ".byte 0x66, 0x90", "nopl (%eax)", "nopw (%eax)",
            "nopl 0x0(%eax)", "nopl 0x0(%eax,%eax,1)", "nopw 0x0(%eax,%eax,1)", "nopl 0x0(%eax)",
            "nopl 0x12345678(%eax)", "nopw %cs:0x0(%eax,%eax,1)", ".byte 0x0f, 0x1f, 0xc0",
            "pause", ".byte 0x3e, 0x90", ".byte 0xf3, 0x90"]
    for nop in nops:
        for _ in range(3):
            regs, fl = rregs(r), rflags(r)
            cases.append(Case(nop, regs, fl))
    # segment overrides on memory operands (all flat under Linux user mode; FS/GS avoided)
    for seg in ("ds", "es", "ss", "cs"):
        for op in ("mov", "add", "sub", "cmp", "and", "xor"):
            for bits in (8, 16, 32):
                regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
                dst = pick(r, bits)
                m, _ = memop(r, regs, bits // 8, avoid=(dst,), data=data)
                und = AF if op in ("and", "xor") else 0
                cases.append(Case(f"{op}{SFX[bits]} %{seg}:{m}, %{dst}", regs, fl, data, undef=und))
                if seg != "cs":
                    regs, fl, data = rregs(r), rflags(r), bytearray(DATA_SIZE)
                    src = pick(r, bits)
                    m, _ = memop(r, regs, bits // 8, avoid=(src,), data=data)
                    cases.append(Case(f"{op}{SFX[bits]} %{src}, %{seg}:{m}", regs, fl, data, undef=und))
    # Not here, because qemu-i386 7.2 does not model them (it runs them without a fault):
    # a write through a CS override (#GP) and LOCK on MOV (#UD).
    # redundant and mixed prefixes
    for asm in (".byte 0x3e, 0x3e, 0x01, 0x03", ".byte 0x66, 0x66, 0x01, 0xc3", ".byte 0x3e, 0x26, 0x8b, 0x03",
                ".byte 0x66, 0x67, 0x8b, 0x07", ".byte 0x67, 0x66, 0x89, 0x07", ".byte 0xf3, 0x66, 0x01, 0xd8",
                "lock addl %eax, (%ebx)", "lock incw (%ebx)", "lock xchgl %eax, (%ebx)",
                "lock btsl %ecx, (%ebx)", "lock cmpxchgl %ecx, (%ebx)", "lock xaddb %cl, (%ebx)",
                ".byte 0xf0, 0x01, 0xc3", ".byte 0xf0, 0x90", "ud2", ".byte 0x0f, 0xb9, 0xc0",
                ".byte 0x0f, 0xff, 0xc0"):
        for _ in range(3):
            regs, fl, data = rregs(r), rflags(r), randdata(r)
            regs[3] = DATA + r.randrange(0, 0x40)
            regs[7] = (regs[7] & 0xFFFF0000) | (DATA + r.randrange(0x40, 0x80))
            regs[1] = r.randrange(32)
            und = AF if "bts" in asm else 0
            if "bts" in asm:
                und = OF | SF | AF | PF
            cases.append(Case(asm, regs, fl, data, undef=und))
    # 16-bit operand-size variants of immediate and accumulator forms
    for op in ("add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test", "mov"):
        for _ in range(6):
            regs, fl = rregs(r), rflags(r)
            regs[0] = val(r, 32)
            und = AF if op in ("and", "or", "xor", "test") else 0
            cases.append(Case(f"{op}w ${val(r, 16):#x}, %ax", regs, fl, undef=und))
    # flag instructions
    for asm in ("clc", "stc", "cmc", "cld", "std", ["std", "cld"], ["stc", "cmc"]):
        for _ in range(4):
            regs, fl = rregs(r), rflags(r, df=0.5)
            cases.append(Case(asm, regs, fl))
    return cases


GROUPS = {
    "alu": alu,
    "shift": shifts,
    "muldiv": muldiv,
    "bcd": bcd,
    "bit": bit,
    "mov": mov,
    "string": string,
    "misc": misc,
}
