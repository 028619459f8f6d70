package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DecodedCacheTest {
    private final List<Integer> evicted = new ArrayList<>();

    @Test
    void pageBoundEvictsUnreferencedPagesFirst() {
        DecodedCache c = new DecodedCache(64, 4);
        for (int p = 0; p < 4; p++) {
            c.create(p, evicted::add);
        }
        c.create(4, evicted::add); // first sweep clears every referenced bit, then page 0 goes
        assertEquals(List.of(0), evicted);
        c.touch(1);
        c.create(5, evicted::add); // 1 was used again: 2 goes
        assertEquals(List.of(0, 2), evicted);
        assertNull(c.get(0));
        assertNotNull(c.get(1));
        assertEquals(2, c.evictions);
    }

    @Test
    void pinnedPagesAreOutsideTheBoundAndNeverEvicted() {
        DecodedCache c = new DecodedCache(64, 2);
        c.create(10, evicted::add);
        c.pin(10);
        for (int p = 0; p < 20; p++) {
            c.create(p, evicted::add);
        }
        assertNotNull(c.get(10));
        assertTrue(!evicted.contains(10));
        c.unpin(10);
        for (int p = 20; p < 30; p++) {
            c.create(p, evicted::add);
        }
        assertTrue(evicted.contains(10), "unpinned, it competes again");
    }

    @Test
    void instructionBoundNeverEvictsThePageBeingFilled() {
        DecodedCache c = new DecodedCache(64, 2); // at most 2 * 256 instructions
        c.create(0, evicted::add);
        for (int off = 0; off < 300; off++) {
            c.put(0, off, new Insn(), evicted::add);
        }
        c.create(1, evicted::add);
        for (int off = 0; off < 300; off++) {
            c.put(1, off, new Insn(), evicted::add);
        }
        assertEquals(List.of(0), evicted);
        assertNotNull(c.get(1));
        assertNotNull(c.get(1)[299]);
    }

    @Test
    void anEvictedPagesArrayIsReusedEmpty() {
        DecodedCache c = new DecodedCache(64, 2);
        Insn[] a = c.create(0, evicted::add);
        a[5] = new Insn();
        c.create(1, evicted::add);
        Insn[] b = c.create(2, evicted::add);
        assertEquals(List.of(0), evicted);
        assertTrue(a == b);
        assertNull(b[5]);
    }
}
