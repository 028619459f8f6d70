package dev.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jvisor.vmm.AnonymousMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The vCPU's raw (Unsafe) RAM accessors on native RAM agree with the segment API and stay inside RAM. */
class RawRamAccessTest {
    private static final int SIZE = 1 << 20;

    private static Vcpu vcpu(MemorySegment ram) {
        return new Vcpu(ram, SIZE, SIZE, (c, e) -> { });
    }

    @Test
    void nativeAndHeapRamReadTheSameLittleEndianValues() {
        MemorySegment nat = AnonymousMemory.allocate(SIZE);
        MemorySegment heap = MemorySegment.ofArray(new byte[SIZE]);
        Vcpu a = vcpu(nat), b = vcpu(heap);
        int[] addrs = {0, 1, 0xfff, 0x1001, SIZE - 4, SIZE - 2, SIZE - 1};
        for (int pa : addrs) {
            for (Vcpu c : new Vcpu[] {a, b}) {
                c.ram8(pa, 0x5a);
                if (pa <= SIZE - 2) {
                    c.ram16(pa, 0xbeef);
                }
                if (pa <= SIZE - 4) {
                    c.ram32(pa, 0x12345678 ^ pa);
                }
            }
            assertEquals(b.ram8(pa), a.ram8(pa));
            if (pa <= SIZE - 2) {
                assertEquals(b.ram16(pa), a.ram16(pa));
            }
            if (pa <= SIZE - 4) {
                assertEquals(b.ram32(pa), a.ram32(pa));
                assertEquals(0x12345678 ^ pa,
                        nat.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pa),
                        "little-endian in host memory at 0x" + Integer.toHexString(pa));
            }
        }
        assertEquals(0x78 ^ (SIZE - 4) & 0xff, a.ram8(SIZE - 4), "low byte first");
    }

    @Test
    void accessesOutsideRamAreRefusedBeforeTouchingMemory() {
        Vcpu c = vcpu(AnonymousMemory.allocate(SIZE));
        for (int pa : new int[] {SIZE, SIZE - 3, -1, 0x80000000, 0xfffffffc}) {
            assertThrows(IndexOutOfBoundsException.class, () -> c.ram32(pa), "read32 0x" + Integer.toHexString(pa));
            assertThrows(IndexOutOfBoundsException.class, () -> c.ram32(pa, 1), "write32 0x" + Integer.toHexString(pa));
        }
        assertThrows(IndexOutOfBoundsException.class, () -> c.ram8(SIZE));
        assertThrows(IndexOutOfBoundsException.class, () -> c.ram16(SIZE - 1));
        assertThrows(IndexOutOfBoundsException.class, () -> c.ram16(SIZE - 1, 7));
        assertThrows(IndexOutOfBoundsException.class, () -> c.ram8(-1, 7));
    }
}
