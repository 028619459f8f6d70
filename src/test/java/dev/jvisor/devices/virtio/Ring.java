package dev.jvisor.devices.virtio;

/** The driver side of one split virtqueue in test RAM: adds chains, kicks, reads the used ring. */
final class Ring {
    /** One buffer of a chain: guest address, length, device-writable. */
    record Buf(long addr, int len, boolean write) { }

    final TestDriver d;
    final int index;
    final int size;
    final long desc;
    final long avail;
    final long used;
    final int notifyOffset;
    int nextDesc;
    int availIdx;
    int lastUsed;

    Ring(TestDriver d, int index, int size, long desc, long avail, long used, int notifyOffset) {
        this.d = d;
        this.index = index;
        this.size = size;
        this.desc = desc;
        this.avail = avail;
        this.used = used;
        this.notifyOffset = notifyOffset;
    }

    void writeDesc(long table, int i, long addr, int len, int flags, int next) {
        long at = table + 16L * i;
        d.ram.write64(at, addr);
        d.ram.write32(at + 8, len);
        d.ram.write16(at + 12, flags);
        d.ram.write16(at + 14, next);
    }

    /** Puts a chain of direct descriptors in the table and on the avail ring; returns the head. */
    int add(Buf... bufs) {
        int head = nextDesc;
        for (int i = 0; i < bufs.length; i++) {
            int slot = (nextDesc + i) % size;
            boolean last = i == bufs.length - 1;
            writeDesc(desc, slot, bufs[i].addr(), bufs[i].len(), (last ? 0 : 1) | (bufs[i].write() ? 2 : 0),
                    last ? 0 : (slot + 1) % size);
        }
        nextDesc = (nextDesc + bufs.length) % size;
        publish(head);
        return head;
    }

    /** A chain made of one INDIRECT descriptor pointing at a table written at {@code table}. */
    int addIndirect(long table, Buf... bufs) {
        for (int i = 0; i < bufs.length; i++) {
            boolean last = i == bufs.length - 1;
            writeDesc(table, i, bufs[i].addr(), bufs[i].len(), (last ? 0 : 1) | (bufs[i].write() ? 2 : 0), last ? 0 : i + 1);
        }
        int head = nextDesc;
        writeDesc(desc, head, table, 16 * bufs.length, 4, 0);
        nextDesc = (nextDesc + 1) % size;
        publish(head);
        return head;
    }

    void publish(int head) {
        d.ram.write16(avail + 4 + 2L * (availIdx % size), head);
        availIdx = (availIdx + 1) & 0xffff;
        d.ram.write16(avail + 2, availIdx);
    }

    void kick() {
        d.dev.mmioBarWrite(VirtioPciTransport.BAR, notifyOffset, 2, index);
    }

    int usedIdx() {
        return d.ram.read16(used + 2);
    }

    /** Next used element as {id, len}, or null if the device has not returned one. */
    int[] takeUsed() {
        if (usedIdx() == lastUsed) {
            return null;
        }
        long e = used + 4 + 8L * (lastUsed % size);
        lastUsed = (lastUsed + 1) & 0xffff;
        return new int[] {d.ram.read32(e), d.ram.read32(e + 4)};
    }
}
