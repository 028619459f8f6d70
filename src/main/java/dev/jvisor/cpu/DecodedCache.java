package dev.jvisor.cpu;

import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * The decoded-instruction cache: per physical page of guest code an {@code Insn[4096]} indexed by
 * the offset in the page (so the interpreter finds a cached instruction with one array load), for
 * at most {@link #capacity} pages and {@link #maxInsns} instructions at a time.
 *
 * <p>Why a bound: a page's array costs 16 KiB of Java heap plus 48 bytes per instruction, 4x the
 * page itself. Unbounded, a Linux boot kept ~1,300 pages (39 MiB) of mostly run-once code (boot
 * and init sections, modules' probe code), and a guest that executes from many pages could need
 * more heap than its RAM; the instruction bound keeps a guest of one-byte instructions (4,096 per
 * page) from multiplying that by 20. The hot code is much smaller, so pages are replaced with the
 * clock algorithm (second chance, as an OS replaces pages): a page the CPU went back to since the
 * hand last passed is kept. An evicted page is decoded again when next executed; its array is
 * reused for the page that evicted it, so replacement leaves little garbage for the GC.
 *
 * <p>Pages holding translated blocks are pinned by the translator (which relies on their arrays
 * to see writes to translated code) and are outside the bound: the translator's block limit
 * bounds them.
 */
final class DecodedCache {
    /**
     * Default bound: 512 pages (2 MiB of guest code), ~8 MiB of arrays plus at most 6 MiB of
     * instructions. A Linux boot to a shell with the md5/gzip benchmark then evicts ~2,400 pages,
     * a few hundred thousand decodes in billions of instructions.
     */
    static final int DEFAULT_CAPACITY = Integer.getInteger("jvisor.codePages", 512);
    /** Instructions per page the instruction bound allows on average (a Linux kernel page has ~175). */
    static final int INSNS_PER_PAGE = 256;

    /** By physical page: its decoded instructions, or null. */
    private final Insn[][] pages;
    /** By physical page: instructions cached, referenced since the hand passed, pinned by the translator. */
    private final short[] pageInsns;
    private final boolean[] referenced, pinned;
    /** Unpinned pages cached and their instructions: what the bounds limit. */
    private int count, insns;
    /** The clock hand: a physical page number. */
    private int hand;
    final int capacity, maxInsns;
    /** Pages replaced to stay within the bounds (statistics). */
    long evictions;

    DecodedCache(int ramPages, int capacity) {
        this.capacity = Math.max(2, Math.min(capacity, ramPages));
        this.maxInsns = this.capacity * INSNS_PER_PAGE;
        this.pages = new Insn[ramPages][];
        this.pageInsns = new short[ramPages];
        this.referenced = new boolean[ramPages];
        this.pinned = new boolean[ramPages];
    }

    int ramPages() {
        return pages.length;
    }

    /** The page's decoded instructions, or null (nothing decoded there, or evicted). */
    Insn[] get(int ppn) {
        return pages[ppn];
    }

    /** Notes that the CPU executes from the page again (its second chance on the next sweep). */
    void touch(int ppn) {
        referenced[ppn] = true;
    }

    /**
     * Creates the page's (empty) array. Over a bound, first evicts pages chosen by the clock and
     * reports each to onEvict (which must forget every reference to its array). Returns the array.
     */
    Insn[] create(int ppn, IntConsumer onEvict) {
        Insn[] page = null;
        while (count >= capacity || insns >= maxInsns) {
            page = evict(-1, onEvict);
        }
        if (page == null) {
            page = new Insn[4096];
        } else {
            Arrays.fill(page, null);
        }
        pages[ppn] = page;
        referenced[ppn] = true;
        count++;
        return page;
    }

    /**
     * Caches in at offset off of the page's array (it exists: {@link #create}). Over the
     * instruction bound, first evicts other pages (never this one: the CPU is executing from it).
     */
    void put(int ppn, int off, Insn in, IntConsumer onEvict) {
        Insn[] page = pages[ppn];
        if (page[off] == null) {
            pageInsns[ppn]++;
            if (!pinned[ppn]) {
                while (insns >= maxInsns && count > 1) {
                    evict(ppn, onEvict);
                }
                insns++;
            }
        }
        page[off] = in;
    }

    /** The translator holds the page (it has translated blocks): outside the bounds until unpinned or dropped. */
    void pin(int ppn) {
        if (pages[ppn] != null && !pinned[ppn]) {
            pinned[ppn] = true;
            count--;
            insns -= pageInsns[ppn];
        }
    }

    /** The translator no longer holds the page (its blocks were flushed): back under the bounds. */
    void unpin(int ppn) {
        if (pinned[ppn]) {
            pinned[ppn] = false;
            count++;
            insns += pageInsns[ppn];
        }
    }

    /** Forgets the page's instructions (it was written, or evicted). */
    void drop(int ppn) {
        if (pages[ppn] == null) {
            return;
        }
        if (pinned[ppn]) {
            pinned[ppn] = false;
        } else {
            count--;
            insns -= pageInsns[ppn];
        }
        pages[ppn] = null;
        pageInsns[ppn] = 0;
        referenced[ppn] = false;
    }

    /** Evicts the clock's choice among unpinned pages other than keep; returns its (now free) array. */
    private Insn[] evict(int keep, IntConsumer onEvict) {
        int n = pages.length;
        while (true) {
            int p = hand;
            hand = p + 1 == n ? 0 : p + 1;
            if (pages[p] == null || pinned[p] || p == keep) {
                continue;
            }
            if (referenced[p]) {
                referenced[p] = false;
                continue;
            }
            Insn[] array = pages[p];
            drop(p);
            evictions++;
            onEvict.accept(p);
            return array;
        }
    }
}
