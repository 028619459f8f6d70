package dev.jvisor.cpu;

import java.util.Arrays;

/**
 * The interpreter's small instruction-TLB: code pages executed from recently, direct-mapped by linear
 * page, each with its physical page and decoded-instruction array. An entry is a cached translation
 * like a TLB entry, so it lives until the TLB is flushed (CR3 load, INVLPG, paging mode changes:
 * {@link Interpreter#invalidateFetch}) or its physical page's decoded code is dropped (a write to
 * it, eviction: {@link #forget}).
 */
final class RecentCodePages {
    static final int SLOTS = 64;

    final int[] lin = new int[SLOTS];
    final int[] ppn = new int[SLOTS];
    final Insn[][] page = new Insn[SLOTS][];

    RecentCodePages() {
        clear();
    }

    static int slot(int linear) {
        return (linear >>> 12) & (SLOTS - 1);
    }

    void put(int linear, int physPage, Insn[] codePage) {
        int s = slot(linear);
        lin[s] = linear & ~0xfff;
        ppn[s] = physPage;
        page[s] = codePage;
    }

    void forget(int physPage) {
        for (int s = 0; s < SLOTS; s++) {
            if (ppn[s] == physPage) {
                lin[s] = -1;
                ppn[s] = -1;
                page[s] = null;
            }
        }
    }

    /** INVLPG of lin: forgets its page, or every page of its 4 MiB page if the TLB had it from one. */
    void forgetLinear(int linear, boolean large) {
        if (large) {
            for (int s = 0; s < SLOTS; s++) {
                if (lin[s] != -1 && (lin[s] >>> 22) == (linear >>> 22)) {
                    lin[s] = -1;
                }
            }
        } else {
            int s = slot(linear);
            if (lin[s] == (linear & ~0xfff)) {
                lin[s] = -1;
            }
        }
    }

    /** Forgets every page (an entry is valid only with its linear page set; the rest is overwritten on reuse). */
    void clear() {
        Arrays.fill(lin, -1);
    }
}
