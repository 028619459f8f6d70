/*
 * x87 oracle vector generator for jvisor's X87 tests.
 *
 * Build and run (see gen.sh):  gcc -m32 -static -O1 -o gen gen.c && qemu-i386 ./gen > x87-qemu.txt
 *
 * For each vector it assembles, at run time, a tiny code sequence into an executable page:
 *   FNINIT; FLDCW cw; FLD m80 inputs (last first, so in[0] ends up in ST0); FNCLEX;
 *   [prefix] <instruction under test> [suffix]; FNSAVE save; RET
 * and prints one line:
 *   group|insn|cw|eflags-in|in0,in1,..|mem-in|sw|tw|st0,st1,..(non-empty)|mem-out|eflags-out|ax
 * 80-bit values are printed as 4 hex digits sign/exponent then 16 hex digits significand.
 * Memory operands use mod=00 rm=101 disp32 (ModRM 0x05 | reg<<3) pointing at a 16-byte buffer.
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

typedef struct { uint64_t sig; uint16_t se; } __attribute__((packed)) f80;

static unsigned char mem[16] __attribute__((aligned(16)));
static f80 inputs[8];
static uint16_t cw_in;
static uint32_t efl_out;
static uint16_t ax_out;
static unsigned char save[108];
static unsigned char *code;

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

static void emit32(unsigned char **p, uint32_t v) { memcpy(*p, &v, 4); *p += 4; }

/* kinds of extra code around the instruction */
enum { X_NONE = 0, X_EFL_IN = 1, X_EFL_OUT = 2, X_AX = 4 };

/* Runs one instruction. op = opcode byte; modrm: for memory forms pass 0x05|reg<<3. */
static void run(const char *group, int op, int modrm, int cw, uint32_t eflin, int nin, const f80 *in,
                const unsigned char *memin, int memlen, int memout, int extra) {
    unsigned char *p = code;
    *p++ = 0xDB; *p++ = 0xE3;                                       /* fninit */
    cw_in = (uint16_t)cw;
    *p++ = 0xD9; *p++ = 0x2D; emit32(&p, (uint32_t)(uintptr_t)&cw_in); /* fldcw */
    for (int i = nin - 1; i >= 0; i--) {
        inputs[i] = in[i];
        *p++ = 0xDB; *p++ = 0x2D; emit32(&p, (uint32_t)(uintptr_t)&inputs[i]); /* fld m80 */
    }
    *p++ = 0xDB; *p++ = 0xE2;                                       /* fnclex */
    memset(mem, 0xCC, sizeof mem);
    if (memin) memcpy(mem, memin, memlen);
    if (extra & X_EFL_IN) {
        *p++ = 0x68; emit32(&p, eflin | 0x202);                     /* push imm32 */
        *p++ = 0x9D;                                                /* popf */
    }
    *p++ = (unsigned char)op; *p++ = (unsigned char)modrm;
    if ((modrm & 0xC0) != 0xC0) emit32(&p, (uint32_t)(uintptr_t)mem);
    if (extra & X_EFL_OUT) {
        *p++ = 0x9C;                                                /* pushf */
        *p++ = 0x8F; *p++ = 0x05; emit32(&p, (uint32_t)(uintptr_t)&efl_out); /* pop m32 */
    }
    if (extra & X_AX) {
        *p++ = 0x66; *p++ = 0xA3; emit32(&p, (uint32_t)(uintptr_t)&ax_out);  /* mov moffs16, ax */
    }
    *p++ = 0xDD; *p++ = 0x35; emit32(&p, (uint32_t)(uintptr_t)save); /* fnsave m108 */
    *p++ = 0xC3;
    efl_out = 0; ax_out = 0;
    ((void (*)(void))code)();

    uint16_t sw, tw;
    memcpy(&sw, save + 4, 2);
    memcpy(&tw, save + 8, 2);
    printf("%s|%02X%02X|%04X|", group, op, modrm, cw);
    if (extra & X_EFL_IN) printf("%02X", eflin & 0xC5);
    printf("|");
    for (int i = 0; i < nin; i++) printf("%s%04X%016llX", i ? "," : "", in[i].se, (unsigned long long)in[i].sig);
    printf("|");
    if (memin) for (int i = 0; i < memlen; i++) printf("%02X", memin[i]);
    printf("|%04X|%04X|", sw, tw);
    int top = (sw >> 11) & 7, first = 1;
    for (int i = 0; i < 8; i++) {
        int phys = (top + i) & 7;
        if (((tw >> (2 * phys)) & 3) == 3) continue;
        f80 r; memcpy(&r, save + 28 + 10 * i, 10);
        printf("%s%d:%04X%016llX", first ? "" : ",", i, r.se, (unsigned long long)r.sig);
        first = 0;
    }
    printf("|");
    for (int i = 0; i < memout; i++) printf("%02X", mem[i]);
    printf("|");
    if (extra & X_EFL_OUT) printf("%02X", efl_out & 0xC5);
    printf("|");
    if (extra & X_AX) printf("%04X", ax_out);
    printf("\n");
}

static f80 F(uint16_t se, uint64_t sig) { f80 f; f.se = se; f.sig = sig; return f; }

/* interesting extended values */
static const f80 SPECIAL[] = {
    {0, 0}, {0, 0x8000},                                   /* +0, -0 */
    {0x8000000000000000ull, 0x3FFF}, {0x8000000000000000ull, 0xBFFF}, /* 1, -1 */
    {0xC000000000000000ull, 0x3FFF},                       /* 1.5 */
    {0xC000000000000000ull, 0x4000},                       /* 3 */
    {0xAAAAAAAAAAAAAAABull, 0x3FFD},                       /* ~1/3 */
    {0xC90FDAA22168C235ull, 0x4000},                       /* pi */
    {0xFFFFFFFFFFFFFFFFull, 0x3FFF},                       /* 2 - ulp */
    {0x8000000000000001ull, 0xBFFF},                       /* -(1 + ulp) */
    {0x0000000000000001ull, 0x0000},                       /* smallest denormal */
    {0x7FFFFFFFFFFFFFFFull, 0x8000},                       /* -largest denormal */
    {0x8000000000000001ull, 0x0000},                       /* pseudo-denormal */
    {0x8000000000000000ull, 0x0001},                       /* min normal */
    {0xFFFFFFFFFFFFFFFFull, 0x7FFE},                       /* max */
    {0xFFFFFFFFFFFFFFFFull, 0xFFFE},                       /* -max */
    {0x8000000000000000ull, 0x7FFF}, {0x8000000000000000ull, 0xFFFF}, /* +inf, -inf */
    {0xC000000000000001ull, 0x7FFF},                       /* QNaN */
    {0x8000000000000005ull, 0xFFFF},                       /* SNaN (negative) */
    {0xC000000000000000ull, 0xFFFF},                       /* indefinite */
    {0x4000000000000000ull, 0x3FFF},                       /* unnormal */
    {0x8000000000000000ull, 0x403E},                       /* 2^63 */
    {0xF0F0F0F0F0F0F0F1ull, 0x3FF0},                       /* small */
};
#define NSPECIAL (int)(sizeof SPECIAL / sizeof SPECIAL[0])

/* random finite value with exponent bias+[-range,range] */
static f80 rnd80(int range) {
    f80 f;
    f.sig = rnd() | 0x8000000000000000ull;
    int e = 0x3FFF + (int)(rnd() % (2 * range + 1)) - range;
    f.se = (uint16_t)(e | ((rnd() & 1) ? 0x8000 : 0));
    if (rnd() % 4 == 0) f.sig &= ~0xFFFFFull;  /* some with short significands */
    return f;
}

static const int CWS[] = {0x037F, 0x077F, 0x0B7F, 0x0F7F, 0x027F, 0x007F, 0x0E7F, 0x047F};
#define NCW 8

static void binreg(const char *g, int op, int modrm, int pushpop) {
    (void)pushpop;
    for (int i = 0; i < NSPECIAL; i++)
        for (int j = 0; j < NSPECIAL; j++) {
            f80 in[2] = {SPECIAL[i], SPECIAL[j]};
            run(g, op, modrm, 0x037F, 0, 2, in, 0, 0, 0, 0);
        }
    for (int k = 0; k < 160; k++) {
        f80 in[2] = {rnd80(k < 120 ? 70 : 16000), rnd80(k < 120 ? 70 : 16000)};
        if (k % 5 == 0) in[1].se = (uint16_t)((in[0].se & 0x7FFF) | (in[1].se & 0x8000)); /* cancellation */
        run(g, op, modrm, CWS[k % NCW], 0, 2, in, 0, 0, 0, 0);
    }
}

static void put32(unsigned char *b, uint32_t v) { memcpy(b, &v, 4); }
static void put64(unsigned char *b, uint64_t v) { memcpy(b, &v, 8); }

static const uint32_t F32S[] = {0, 0x80000000, 0x3F800000, 0xBF800000, 0x00000001, 0x807FFFFF, 0x00800000,
                                0x7F7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00001, 0x7F800001, 0xFFC00000,
                                0x3EAAAAAB, 0x40490FDB, 0x4B000001};
static const uint64_t F64S[] = {0, 0x8000000000000000ull, 0x3FF0000000000000ull, 0xBFF0000000000000ull,
                                0x0000000000000001ull, 0x800FFFFFFFFFFFFFull, 0x0010000000000000ull,
                                0x7FEFFFFFFFFFFFFFull, 0x7FF0000000000000ull, 0xFFF0000000000000ull,
                                0x7FF8000000000001ull, 0x7FF0000000000001ull, 0x3FD5555555555555ull,
                                0x400921FB54442D18ull, 0x4330000000000001ull};
static const int32_t I32S[] = {0, 1, -1, 2147483647, -2147483647 - 1, 12345678, -7, 16777217};
static const int16_t I16S[] = {0, 1, -1, 32767, -32768, 1234, -77};

/* memory-operand arithmetic: reg field selects the op, op byte the operand type */
static void binmem(const char *g, int op, int reg) {
    int modrm = 0x05 | reg << 3;
    unsigned char b[16];
    for (int i = 0; i < NSPECIAL; i += 1) {
        f80 in[1] = {SPECIAL[i]};
        int n;
        if (op == 0xD8) { n = sizeof F32S / 4; }
        else if (op == 0xDC) { n = sizeof F64S / 8; }
        else if (op == 0xDA) { n = sizeof I32S / 4; }
        else { n = sizeof I16S / 2; }
        for (int j = 0; j < n; j++) {
            int len;
            if (op == 0xD8) { put32(b, F32S[j]); len = 4; }
            else if (op == 0xDC) { put64(b, F64S[j]); len = 8; }
            else if (op == 0xDA) { put32(b, (uint32_t)I32S[j]); len = 4; }
            else { memcpy(b, &I16S[j], 2); len = 2; }
            if ((i + j) % 3 != 0) continue; /* thin out */
            run(g, op, modrm, 0x037F, 0, 1, in, b, len, 0, 0);
        }
    }
    for (int k = 0; k < 40; k++) {
        f80 in[1] = {rnd80(40)};
        int len;
        uint64_t r = rnd();
        if (op == 0xD8) { put32(b, (uint32_t)((r & 0x807FFFFF) | ((uint32_t)(120 + (r >> 40) % 16) << 23))); len = 4; }
        else if (op == 0xDC) { put64(b, (r & 0x800FFFFFFFFFFFFFull) | ((uint64_t)(1000 + (r >> 32) % 48) << 52)); len = 8; }
        else if (op == 0xDA) { put32(b, (uint32_t)r); len = 4; }
        else { uint16_t v = (uint16_t)r; memcpy(b, &v, 2); len = 2; }
        run(g, op, modrm, CWS[k % NCW], 0, 1, in, b, len, 0, 0);
    }
}

static void unary(const char *g, int op, int modrm, int nin, int nrand, int range) {
    for (int i = 0; i < NSPECIAL; i++) {
        f80 in[2] = {SPECIAL[i], F(0x3FFF, 0xC000000000000000ull)};
        if (nin == 2) {
            for (int j = 0; j < NSPECIAL; j += 2) {
                in[1] = SPECIAL[j];
                run(g, op, modrm, 0x037F, 0, 2, in, 0, 0, 0, 0);
            }
        } else {
            run(g, op, modrm, 0x037F, 0, 1, in, 0, 0, 0, 0);
        }
    }
    for (int k = 0; k < nrand; k++) {
        f80 in[2] = {rnd80(range), rnd80(range)};
        run(g, op, modrm, CWS[k % NCW], 0, nin, in, 0, 0, 0, 0);
    }
}

int main(void) {
    code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) return 1;
    unsigned char b[16];

    /* ---- arithmetic, register forms: D8 (ST0 op ST1), DC (ST1 op ST0), DE (…P) ---- */
    const char *names[8] = {"fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv", "fdivr"};
    for (int r = 0; r < 8; r++) {
        if (r == 2 || r == 3) continue;
        char g[32];
        snprintf(g, sizeof g, "arith_%s", names[r]);
        binreg(g, 0xD8, 0xC1 | r << 3, 0);
    }
    for (int r = 0; r < 8; r++) {
        if (r == 2 || r == 3) continue;
        for (int k = 0; k < 40; k++) {
            f80 in[2] = {rnd80(64), rnd80(64)};
            if (k < 8) in[0] = SPECIAL[(k * 5) % NSPECIAL];
            run("arith_dc", 0xDC, 0xC1 | r << 3, CWS[k % NCW], 0, 2, in, 0, 0, 0, 0);
            run("arith_de", 0xDE, 0xC1 | r << 3, CWS[(k + 3) % NCW], 0, 2, in, 0, 0, 0, 0);
        }
    }
    /* ---- arithmetic, memory forms ---- */
    for (int r = 0; r < 8; r++) {
        binmem("mem_m32", 0xD8, r);
        binmem("mem_m64", 0xDC, r);
        binmem("mem_i32", 0xDA, r);
        binmem("mem_i16", 0xDE, r);
    }
    /* ---- compares ---- */
    for (int i = 0; i < NSPECIAL; i++)
        for (int j = 0; j < NSPECIAL; j++) {
            f80 in[2] = {SPECIAL[i], SPECIAL[j]};
            run("cmp_fcom", 0xD8, 0xD1, 0x037F, 0, 2, in, 0, 0, 0, 0);
            run("cmp_fucom", 0xDD, 0xE1, 0x037F, 0, 2, in, 0, 0, 0, 0);
            if ((i + j) % 2 == 0) {
                run("cmp_fcomi", 0xDB, 0xF1, 0x037F, 0, 2, in, 0, 0, 0, X_EFL_OUT);
                run("cmp_fucomip", 0xDF, 0xE9, 0x037F, 0, 2, in, 0, 0, 0, X_EFL_OUT);
            } else {
                run("cmp_fcompp", 0xDE, 0xD9, 0x037F, 0, 2, in, 0, 0, 0, 0);
                run("cmp_fucompp", 0xDA, 0xE9, 0x037F, 0, 2, in, 0, 0, 0, 0);
                run("cmp_fcomip", 0xDF, 0xF1, 0x037F, 0, 2, in, 0, 0, 0, X_EFL_OUT);
                run("cmp_fucomi", 0xDB, 0xE9, 0x037F, 0, 2, in, 0, 0, 0, X_EFL_OUT);
            }
        }
    for (int i = 0; i < NSPECIAL; i++) {
        f80 in[1] = {SPECIAL[i]};
        run("cmp_ftst", 0xD9, 0xE4, 0x037F, 0, 1, in, 0, 0, 0, 0);
        run("cmp_fxam", 0xD9, 0xE5, 0x037F, 0, 1, in, 0, 0, 0, 0);
        for (int j = 0; j < (int)(sizeof F32S / 4); j += 2) {
            put32(b, F32S[j]);
            run("cmp_fcom_m32", 0xD8, 0x15, 0x037F, 0, 1, in, b, 4, 0, 0);
        }
        for (int j = 1; j < (int)(sizeof F64S / 8); j += 2) {
            put64(b, F64S[j]);
            run("cmp_fcomp_m64", 0xDC, 0x1D, 0x037F, 0, 1, in, b, 8, 0, 0);
        }
        for (int j = 0; j < (int)(sizeof I16S / 2); j += 2) {
            memcpy(b, &I16S[j], 2);
            run("cmp_ficom_m16", 0xDE, 0x15, 0x037F, 0, 1, in, b, 2, 0, 0);
        }
        for (int j = 1; j < (int)(sizeof I32S / 4); j += 2) {
            put32(b, (uint32_t)I32S[j]);
            run("cmp_ficomp_m32", 0xDA, 0x1D, 0x037F, 0, 1, in, b, 4, 0, 0);
        }
    }
    /* fxam on an empty register */
    run("cmp_fxam", 0xD9, 0xE5, 0x037F, 0, 0, 0, 0, 0, 0, 0);

    /* ---- loads ---- */
    for (int j = 0; j < (int)(sizeof F32S / 4); j++) {
        put32(b, F32S[j]);
        run("ld_m32", 0xD9, 0x05, 0x037F, 0, 0, 0, b, 4, 0, 0);
    }
    for (int j = 0; j < (int)(sizeof F64S / 8); j++) {
        put64(b, F64S[j]);
        run("ld_m64", 0xDD, 0x05, 0x037F, 0, 0, 0, b, 8, 0, 0);
    }
    for (int i = 0; i < NSPECIAL; i++) {
        memcpy(b, &SPECIAL[i], 10);
        run("ld_m80", 0xDB, 0x2D, 0x037F, 0, 0, 0, b, 10, 0, 0);
    }
    for (int j = 0; j < (int)(sizeof I16S / 2); j++) {
        memcpy(b, &I16S[j], 2);
        run("ld_i16", 0xDF, 0x05, 0x037F, 0, 0, 0, b, 2, 0, 0);
    }
    for (int j = 0; j < (int)(sizeof I32S / 4); j++) {
        put32(b, (uint32_t)I32S[j]);
        run("ld_i32", 0xDB, 0x05, 0x037F, 0, 0, 0, b, 4, 0, 0);
    }
    for (int k = 0; k < 12; k++) {
        uint64_t v = k < 4 ? (uint64_t[]){0, 1, 0x8000000000000000ull, 0x7FFFFFFFFFFFFFFFull}[k] : rnd();
        put64(b, v);
        run("ld_i64", 0xDF, 0x2D, 0x037F, 0, 0, 0, b, 8, 0, 0);
    }
    /* BCD loads */
    for (int k = 0; k < 16; k++) {
        for (int i = 0; i < 9; i++) { int d = (int)(rnd() % 100); b[i] = (unsigned char)(((d / 10) << 4) | (d % 10)); }
        b[9] = (k & 1) ? 0x80 : 0;
        if (k == 0) memset(b, 0, 10);
        if (k == 1) { memset(b, 0, 10); b[9] = 0x80; }
        if (k == 2) { memset(b, 0x99, 9); b[9] = 0; }
        run("ld_bcd", 0xDF, 0x25, 0x037F, 0, 0, 0, b, 10, 0, 0);
    }
    /* constants */
    for (int c = 0; c < 4; c++)
        for (int m = 0xE8; m <= 0xEE; m++) run("const", 0xD9, m, 0x037F | c << 10, 0, 0, 0, 0, 0, 0, 0);

    /* ---- stores ---- */
    for (int i = 0; i < NSPECIAL + 60; i++) {
        f80 in[1];
        in[0] = i < NSPECIAL ? SPECIAL[i] : rnd80(i < NSPECIAL + 40 ? 40 : 1200);
        if (i >= NSPECIAL + 50) in[0].se = (uint16_t)((in[0].se & 0x8000) | (0x3FFF - 1022 - (int)(rnd() % 70)));
        for (int c = 0; c < 4; c++) {
            int cw = 0x037F | c << 10;
            if (i < NSPECIAL && c > 0 && c != 3) continue;
            run("st_m32", 0xD9, 0x15, cw, 0, 1, in, 0, 0, 4, 0);
            run("st_m64", 0xDD, 0x1D, cw, 0, 1, in, 0, 0, 8, 0);
            if (c == 0) run("st_m80", 0xDB, 0x3D, cw, 0, 1, in, 0, 0, 10, 0);
        }
    }
    for (int i = 0; i < NSPECIAL + 60; i++) {
        f80 in[1];
        in[0] = i < NSPECIAL ? SPECIAL[i] : rnd80(i < NSPECIAL + 20 ? 10 : i < NSPECIAL + 40 ? 30 : 62);
        if (i == NSPECIAL) in[0] = F(0x3FFF + 15, 0xFFFF000000000000ull); /* 65535.x */
        if (i == NSPECIAL + 1) in[0] = F(0xC000 + 15 - 1 + 0x3FFF - 0x3FFF, 0x8000000000000000ull); /* -32768 */
        if (i == NSPECIAL + 2) in[0] = F(0xBFFF + 15, 0x8001000000000000ull);
        if (i == NSPECIAL + 3) in[0] = F(0x3FFF + 62, 0xFFFFFFFFFFFFFFFFull);
        if (i == NSPECIAL + 4) in[0] = F(0xBFFF + 63, 0x8000000000000000ull);
        if (i == NSPECIAL + 5) in[0] = F(0x3FFE, 0x8000000000000000ull); /* 0.5 */
        if (i == NSPECIAL + 6) in[0] = F(0xBFFF, 0xC000000000000000ull); /* -1.5 */
        for (int c = 0; c < 4; c++) {
            int cw = 0x037F | c << 10;
            run("st_i16", 0xDF, 0x15, cw, 0, 1, in, 0, 0, 2, 0);
            run("st_i32", 0xDB, 0x1D, cw, 0, 1, in, 0, 0, 4, 0);
            run("st_i64", 0xDF, 0x3D, cw, 0, 1, in, 0, 0, 8, 0);
        }
    }
    for (int i = 0; i < NSPECIAL + 30; i++) {
        f80 in[1];
        in[0] = i < NSPECIAL ? SPECIAL[i] : rnd80(i < NSPECIAL + 20 ? 30 : 60);
        if (i == NSPECIAL) in[0] = F(0x3FFF + 59, 0xDE0B6B3A763FFFF0ull); /* ~1e18-1 */
        if (i == NSPECIAL + 1) in[0] = F(0x3FFF + 59, 0xDE0B6B3A76400000ull); /* 1e18 */
        for (int c = 0; c < 4; c += 3)
            run("st_bcd", 0xDF, 0x35, 0x037F | c << 10, 0, 1, in, 0, 0, 10, 0);
    }

    /* ---- unary / misc arithmetic ---- */
    unary("un_fchs", 0xD9, 0xE0, 1, 8, 50);
    unary("un_fabs", 0xD9, 0xE1, 1, 8, 50);
    unary("un_fsqrt", 0xD9, 0xFA, 1, 120, 200);
    unary("un_frndint", 0xD9, 0xFC, 1, 120, 70);
    unary("un_fxtract", 0xD9, 0xF4, 1, 30, 16000);
    unary("un_fscale", 0xD9, 0xFD, 2, 0, 1);
    for (int k = 0; k < 80; k++) {
        f80 in[2] = {rnd80(100), rnd80(12)};
        if (k % 4 == 0) in[1].se &= 0x7FFF;
        run("un_fscale", 0xD9, 0xFD, CWS[k % NCW], 0, 2, in, 0, 0, 0, 0);
    }
    unary("un_fprem", 0xD9, 0xF8, 2, 0, 1);
    unary("un_fprem1", 0xD9, 0xF5, 2, 0, 1);
    for (int k = 0; k < 160; k++) {
        f80 in[2] = {rnd80(k < 80 ? 40 : 300), rnd80(k < 80 ? 40 : 300)};
        run(k & 1 ? "un_fprem1" : "un_fprem", 0xD9, k & 1 ? 0xF5 : 0xF8, 0x037F, 0, 2, in, 0, 0, 0, 0);
    }

    /* ---- register moves, stack ops, aliases ---- */
    for (int k = 0; k < 3; k++) {
        f80 in[3] = {SPECIAL[k * 7 % NSPECIAL], SPECIAL[(k * 5 + 3) % NSPECIAL], rnd80(5)};
        run("mv_fld_st", 0xD9, 0xC2, 0x037F, 0, 3, in, 0, 0, 0, 0);
        run("mv_fxch", 0xD9, 0xCA, 0x037F, 0, 3, in, 0, 0, 0, 0);
        run("mv_fxch4", 0xDD, 0xCA, 0x037F, 0, 3, in, 0, 0, 0, 0);
        run("mv_fxch7", 0xDF, 0xCA, 0x037F, 0, 3, in, 0, 0, 0, 0);
        run("mv_fst_st", 0xDD, 0xD2, 0x037F, 0, 3, in, 0, 0, 0, 0);
        run("mv_fstp_st", 0xDD, 0xDA, 0x037F, 0, 3, in, 0, 0, 0, 0);
        run("mv_fstp1", 0xD9, 0xDA, 0x037F, 0, 3, in, 0, 0, 0, 0);
        run("mv_fstp8", 0xDF, 0xD2, 0x037F, 0, 3, in, 0, 0, 0, 0);
        run("mv_fstp9", 0xDF, 0xDA, 0x037F, 0, 3, in, 0, 0, 0, 0);
        run("mv_fcom2", 0xDC, 0xD2, 0x037F, 0, 3, in, 0, 0, 0, 0);
        run("mv_fcomp3", 0xDC, 0xDA, 0x037F, 0, 3, in, 0, 0, 0, 0);
        run("mv_fcomp5", 0xDE, 0xD2, 0x037F, 0, 3, in, 0, 0, 0, 0);
        run("mv_ffree", 0xDD, 0xC1, 0x037F, 0, 3, in, 0, 0, 0, 0);
        run("mv_ffreep", 0xDF, 0xC1, 0x037F, 0, 3, in, 0, 0, 0, 0);
        run("mv_fincstp", 0xD9, 0xF7, 0x037F, 0, 3, in, 0, 0, 0, 0);
        run("mv_fdecstp", 0xD9, 0xF6, 0x037F, 0, 3, in, 0, 0, 0, 0);
        run("mv_fnop", 0xD9, 0xD0, 0x037F, 0, 3, in, 0, 0, 0, 0);
        run("mv_fnstsw_ax", 0xDF, 0xE0, 0x037F, 0, 3, in, 0, 0, 0, X_AX);
        run("mv_fnstsw_m16", 0xDD, 0x3D, 0x037F, 0, 3, in, 0, 0, 2, 0);
        run("mv_fnstcw", 0xD9, 0x3D, 0x0F7F, 0, 3, in, 0, 0, 2, 0);
        run("mv_fnclex", 0xDB, 0xE2, 0x037F, 0, 3, in, 0, 0, 0, 0);
    }
    /* FCMOVcc: all 8 conditions, all combinations of CF/ZF/PF */
    for (int r = 0; r < 4; r++)
        for (int f = 0; f < 8; f++) {
            uint32_t efl = (f & 1 ? 1 : 0) | (f & 2 ? 0x40 : 0) | (f & 4 ? 0x04 : 0);
            f80 in[2] = {F(0x3FFF, 0x8000000000000000ull), F(0x4000, 0xC000000000000000ull)};
            run("fcmov", 0xDA, 0xC1 | r << 3, 0x037F, efl, 2, in, 0, 0, 0, X_EFL_IN);
            run("fcmov", 0xDB, 0xC1 | r << 3, 0x037F, efl, 2, in, 0, 0, 0, X_EFL_IN);
        }

    /* ---- transcendentals (compared with a tolerance: QEMU's FSIN/FCOS/FPTAN/FSINCOS use host double) ---- */
    for (int i = 0; i < NSPECIAL; i++) {
        f80 in[2] = {SPECIAL[i], F(0x3FFF, 0xC000000000000000ull)};
        run("tr_f2xm1", 0xD9, 0xF0, 0x037F, 0, 1, in, 0, 0, 0, 0);
        run("tr_fsin", 0xD9, 0xFE, 0x037F, 0, 1, in, 0, 0, 0, 0);
        run("tr_fcos", 0xD9, 0xFF, 0x037F, 0, 1, in, 0, 0, 0, 0);
        run("tr_fptan", 0xD9, 0xF2, 0x037F, 0, 1, in, 0, 0, 0, 0);
        run("tr_fsincos", 0xD9, 0xFB, 0x037F, 0, 1, in, 0, 0, 0, 0);
        for (int j = 0; j < NSPECIAL; j += 3) {
            in[1] = SPECIAL[j];
            run("tr_fyl2x", 0xD9, 0xF1, 0x037F, 0, 2, in, 0, 0, 0, 0);
            run("tr_fyl2xp1", 0xD9, 0xF9, 0x037F, 0, 2, in, 0, 0, 0, 0);
            run("tr_fpatan", 0xD9, 0xF3, 0x037F, 0, 2, in, 0, 0, 0, 0);
        }
    }
    for (int k = 0; k < 120; k++) {
        f80 in[2] = {rnd80(1), rnd80(30)};
        int cw = CWS[k % 4];
        f80 x = rnd80(0);
        x.se = (uint16_t)((x.se & 0x8000) | (0x3FFF - 1 - (int)(rnd() % 20)));
        f80 y[2] = {x, in[1]};
        run("tr_f2xm1", 0xD9, 0xF0, cw, 0, 1, y, 0, 0, 0, 0);
        f80 pos[2] = {in[0], in[1]};
        pos[0].se &= 0x7FFF;
        if (k % 3 == 0) pos[0].se = (uint16_t)(0x3FFF + (int)(rnd() % 400) - 200);
        run("tr_fyl2x", 0xD9, 0xF1, cw, 0, 2, pos, 0, 0, 0, 0);
        f80 sm[2] = {x, in[1]};
        sm[0].se = (uint16_t)((x.se & 0x8000) | (0x3FFF - 2 - (int)(rnd() % 30)));
        run("tr_fyl2xp1", 0xD9, 0xF9, cw, 0, 2, sm, 0, 0, 0, 0);
        f80 at[2] = {rnd80(20), rnd80(20)};
        run("tr_fpatan", 0xD9, 0xF3, cw, 0, 2, at, 0, 0, 0, 0);
        /* trig arguments: exactly representable as double so QEMU's double path sees the same x */
        f80 t[1] = {rnd80(k < 90 ? 6 : 62)};
        t[0].sig &= ~0x7FFull;
        run("tr_fsin", 0xD9, 0xFE, cw, 0, 1, t, 0, 0, 0, 0);
        run("tr_fcos", 0xD9, 0xFF, cw, 0, 1, t, 0, 0, 0, 0);
        run("tr_fptan", 0xD9, 0xF2, cw, 0, 1, t, 0, 0, 0, 0);
        run("tr_fsincos", 0xD9, 0xFB, cw, 0, 1, t, 0, 0, 0, 0);
    }
    {   /* out of range: |x| >= 2^63 leaves ST0 alone with C2 = 1 */
        f80 t[1] = {F(0x3FFF + 63, 0x8000000000000000ull)};
        run("tr_fsin", 0xD9, 0xFE, 0x037F, 0, 1, t, 0, 0, 0, 0);
        t[0] = F(0xBFFF + 70, 0xC000000000000000ull);
        run("tr_fcos", 0xD9, 0xFF, 0x037F, 0, 1, t, 0, 0, 0, 0);
        run("tr_fptan", 0xD9, 0xF2, 0x037F, 0, 1, t, 0, 0, 0, 0);
        run("tr_fsincos", 0xD9, 0xFB, 0x037F, 0, 1, t, 0, 0, 0, 0);
    }
    return 0;
}
