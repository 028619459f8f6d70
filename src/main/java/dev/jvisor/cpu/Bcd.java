package dev.jvisor.cpu;

import static dev.jvisor.cpu.Vcpu.AF;
import static dev.jvisor.cpu.Vcpu.CF;
import static dev.jvisor.cpu.Vcpu.EAX;

/**
 * Decimal adjust instructions (SDM Vol. 2A: DAA, DAS, AAA, AAS, AAM, AAD). Where the SDM leaves
 * flags undefined: DAA/DAS clear OF; AAA/AAS keep OF, SF, ZF, PF; AAM/AAD clear CF, AF, OF
 * (QEMU's choices).
 */
final class Bcd {
    private Bcd() { }

    static void daa(Vcpu c) {
        int f = c.getEflags();
        int al = c.reg[EAX] & 0xff;
        int old = al;
        int nf = 0;
        if ((al & 0x0f) > 9 || (f & AF) != 0) {
            al = (al + 6) & 0xff;
            nf |= AF;
        }
        if (old > 0x99 || (f & CF) != 0) {
            al = (al + 0x60) & 0xff;
            nf |= CF;
        }
        c.setReg8(EAX, al);
        Alu.setArith(c, nf | Alu.szp(al, 1));
    }

    static void das(Vcpu c) {
        int f = c.getEflags();
        int al = c.reg[EAX] & 0xff;
        int old = al;
        int nf = 0;
        if ((al & 0x0f) > 9 || (f & AF) != 0) {
            nf |= AF;
            if (al < 6 || (f & CF) != 0) {
                nf |= CF;
            }
            al = (al - 6) & 0xff;
        }
        if (old > 0x99 || (f & CF) != 0) {
            al = (al - 0x60) & 0xff;
            nf |= CF;
        }
        c.setReg8(EAX, al);
        Alu.setArith(c, nf | Alu.szp(al, 1));
    }

    static void aaa(Vcpu c) {
        int f = c.getEflags();
        int al = c.reg[EAX] & 0xff;
        int ah = (c.reg[EAX] >>> 8) & 0xff;
        if ((al & 0x0f) > 9 || (f & AF) != 0) {
            int carry = al > 0xf9 ? 1 : 0;
            al = (al + 6) & 0x0f;
            ah = (ah + 1 + carry) & 0xff;
            f |= AF | CF;
        } else {
            f &= ~(AF | CF);
            al &= 0x0f;
        }
        c.setReg16(EAX, al | (ah << 8));
        Alu.setArith(c, f);
    }

    static void aas(Vcpu c) {
        int f = c.getEflags();
        int al = c.reg[EAX] & 0xff;
        int ah = (c.reg[EAX] >>> 8) & 0xff;
        if ((al & 0x0f) > 9 || (f & AF) != 0) {
            int borrow = al < 6 ? 1 : 0;
            al = (al - 6) & 0x0f;
            ah = (ah - 1 - borrow) & 0xff;
            f |= AF | CF;
        } else {
            f &= ~(AF | CF);
            al &= 0x0f;
        }
        c.setReg16(EAX, al | (ah << 8));
        Alu.setArith(c, f);
    }

    static void aam(Vcpu c, int base) {
        base &= 0xff;
        if (base == 0) {
            throw CpuFault.of(CpuFault.DE);
        }
        int al = c.reg[EAX] & 0xff;
        int r = al % base;
        c.setReg16(EAX, r | ((al / base) << 8));
        Alu.logic(c, r, 1);
    }

    static void aad(Vcpu c, int base) {
        int al = c.reg[EAX] & 0xff;
        int ah = (c.reg[EAX] >>> 8) & 0xff;
        int r = (al + ah * (base & 0xff)) & 0xff;
        c.setReg16(EAX, r);
        Alu.logic(c, r, 1);
    }
}
