package dev.jvisor.cpu;

import static dev.jvisor.cpu.Vcpu.CF;
import static dev.jvisor.cpu.Vcpu.EAX;
import static dev.jvisor.cpu.Vcpu.EDX;
import static dev.jvisor.cpu.Vcpu.OF;

/**
 * MUL, IMUL, DIV, IDIV (SDM Vol. 2A/2B). CF and OF are as the SDM defines; SF, ZF, PF (undefined)
 * follow QEMU: computed from the low half of the product, AF cleared. Division leaves flags unchanged.
 */
final class MulDiv {
    private MulDiv() { }

    private static void mulFlags(Vcpu c, boolean overflow, int low, int size) {
        c.getEflags();
        int f = Alu.szp(low, size) | (overflow ? CF | OF : 0);
        c.flags = (c.flags & ~Vcpu.ARITH) | f;
    }

    static void mul(Vcpu c, int src, int size) {
        switch (size) {
            case 1 -> {
                int r = (c.reg[EAX] & 0xff) * (src & 0xff);
                c.setReg16(EAX, r);
                mulFlags(c, (r & 0xff00) != 0, r, 1);
            }
            case 2 -> {
                int r = (c.reg[EAX] & 0xffff) * (src & 0xffff);
                c.setReg16(EAX, r);
                c.setReg16(EDX, r >>> 16);
                mulFlags(c, (r >>> 16) != 0, r, 2);
            }
            default -> {
                long r = (c.reg[EAX] & 0xffffffffL) * (src & 0xffffffffL);
                c.reg[EAX] = (int) r;
                c.reg[EDX] = (int) (r >>> 32);
                mulFlags(c, (r >>> 32) != 0, (int) r, 4);
            }
        }
    }

    static void imul1(Vcpu c, int src, int size) {
        switch (size) {
            case 1 -> {
                int r = (byte) c.reg[EAX] * (byte) src;
                c.setReg16(EAX, r);
                mulFlags(c, r != (byte) r, r, 1);
            }
            case 2 -> {
                int r = (short) c.reg[EAX] * (short) src;
                c.setReg16(EAX, r);
                c.setReg16(EDX, r >>> 16);
                mulFlags(c, r != (short) r, r, 2);
            }
            default -> {
                long r = (long) c.reg[EAX] * (long) src;
                c.reg[EAX] = (int) r;
                c.reg[EDX] = (int) (r >>> 32);
                mulFlags(c, r != (int) r, (int) r, 4);
            }
        }
    }

    /** Two- and three-operand IMUL: returns the truncated product. */
    static int imul2(Vcpu c, int a, int b, int size) {
        if (size == 2) {
            int r = (short) a * (short) b;
            mulFlags(c, r != (short) r, r, 2);
            return r & 0xffff;
        }
        long r = (long) a * (long) b;
        mulFlags(c, r != (int) r, (int) r, 4);
        return (int) r;
    }

    static void div(Vcpu c, int src, int size) {
        switch (size) {
            case 1 -> {
                int d = src & 0xff;
                if (d == 0) {
                    throw CpuFault.of(CpuFault.DE);
                }
                int n = c.reg[EAX] & 0xffff;
                int q = n / d;
                if (q > 0xff) {
                    throw CpuFault.of(CpuFault.DE);
                }
                c.setReg16(EAX, ((n % d) << 8) | q);
            }
            case 2 -> {
                int d = src & 0xffff;
                if (d == 0) {
                    throw CpuFault.of(CpuFault.DE);
                }
                long n = ((c.reg[EDX] & 0xffffL) << 16) | (c.reg[EAX] & 0xffff);
                long q = n / d;
                if (q > 0xffff) {
                    throw CpuFault.of(CpuFault.DE);
                }
                c.setReg16(EAX, (int) q);
                c.setReg16(EDX, (int) (n % d));
            }
            default -> {
                long d = src & 0xffffffffL;
                if (d == 0) {
                    throw CpuFault.of(CpuFault.DE);
                }
                long hi = c.reg[EDX] & 0xffffffffL;
                long lo = c.reg[EAX] & 0xffffffffL;
                if (hi >= d) {
                    throw CpuFault.of(CpuFault.DE); // quotient would not fit in 32 bits
                }
                long n = (hi << 32) | lo;
                long q = Long.divideUnsigned(n, d);
                long r = Long.remainderUnsigned(n, d);
                c.reg[EAX] = (int) q;
                c.reg[EDX] = (int) r;
            }
        }
    }

    static void idiv(Vcpu c, int src, int size) {
        switch (size) {
            case 1 -> {
                int d = (byte) src;
                if (d == 0) {
                    throw CpuFault.of(CpuFault.DE);
                }
                int n = (short) c.reg[EAX];
                int q = n / d;
                if (q != (byte) q) {
                    throw CpuFault.of(CpuFault.DE);
                }
                c.setReg16(EAX, ((n % d & 0xff) << 8) | (q & 0xff));
            }
            case 2 -> {
                int d = (short) src;
                if (d == 0) {
                    throw CpuFault.of(CpuFault.DE);
                }
                int n = (c.reg[EDX] << 16) | (c.reg[EAX] & 0xffff);
                long q = (long) n / d;
                if (q != (short) q) {
                    throw CpuFault.of(CpuFault.DE);
                }
                c.setReg16(EAX, (int) q);
                c.setReg16(EDX, (int) ((long) n % d));
            }
            default -> {
                long d = src;
                if (d == 0) {
                    throw CpuFault.of(CpuFault.DE);
                }
                long n = ((long) c.reg[EDX] << 32) | (c.reg[EAX] & 0xffffffffL);
                if (n == Long.MIN_VALUE && d == -1) {
                    throw CpuFault.of(CpuFault.DE);
                }
                long q = n / d;
                if (q != (int) q) {
                    throw CpuFault.of(CpuFault.DE);
                }
                c.reg[EAX] = (int) q;
                c.reg[EDX] = (int) (n % d);
            }
        }
    }
}
