package dev.jvisor.cpu;

/** Segment register and descriptor-table register indices, and descriptor attribute bits (SDM Vol. 3A, 3.4.5). */
public final class Segment {
    private Segment() { }

    public static final int ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5, LDTR = 6, TR = 7;
    static final String[] NAMES = {"ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR"};

    /** Access check bits kept per segment register, derived from the descriptor cache. */
    static final int ACC_READ = 1, ACC_WRITE = 2, ACC_EXPAND_DOWN = 4, ACC_BIG = 8,
            /** base 0, limit 4 GiB, readable: no check needed for reads. */
            ACC_FLAT_READ = 16,
            /** base 0, limit 4 GiB, writable. */
            ACC_FLAT_WRITE = 32;

    /** Attribute word layout = descriptor bits 40..55 shifted down by 8: type(0-3) S(4) DPL(5-6) P(7) AVL(12) D/B(14) G(15). */
    static int type(int attr) { return attr & 15; }
    static boolean isSystem(int attr) { return (attr & 0x10) == 0; }
    static int dpl(int attr) { return (attr >> 5) & 3; }
    static boolean present(int attr) { return (attr & 0x80) != 0; }
    static boolean isCode(int attr) { return (attr & 0x18) == 0x18; }
    static boolean isData(int attr) { return (attr & 0x18) == 0x10; }
    static boolean conforming(int attr) { return (attr & 0x1c) == 0x1c; }
    static boolean readable(int attr) { return isData(attr) || (attr & 0x1a) == 0x1a; }
    static boolean writable(int attr) { return (attr & 0x1a) == 0x12; }
    static boolean expandDown(int attr) { return (attr & 0x1c) == 0x14; }
    static boolean big(int attr) { return (attr & 0x4000) != 0; }

    static int descBase(int lo, int hi) {
        return (lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000);
    }

    static int descLimit(int lo, int hi) {
        int limit = (lo & 0xffff) | (hi & 0xf0000);
        return (hi & 0x800000) != 0 ? (limit << 12) | 0xfff : limit;
    }

    static int descAttr(int hi) {
        return (hi >>> 8) & 0xf0ff;
    }
}
