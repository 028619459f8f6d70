package dev.jvisor.devices.virtio;

import dev.jvisor.bus.GuestMemory;

/**
 * One validated descriptor chain (virtio 1.1 section 2.6.5): the device-readable buffers followed
 * by the device-writable ones, seen as two byte streams. Every segment was checked to lie in
 * guest RAM when the chain was built, and every access still goes through {@link GuestMemory},
 * so a guest that changes its memory map afterwards gets a failed access, never a host one.
 */
public final class DescriptorChain {
    private final GuestMemory memory;
    private final int head;
    private final long[] addr;
    private final int[] len;
    private final int count;
    private final int firstWritable;
    private final long readable;
    private final long writable;

    DescriptorChain(GuestMemory memory, int head, long[] addr, int[] len, int count, int firstWritable) {
        this.memory = memory;
        this.head = head;
        this.addr = addr;
        this.len = len;
        this.count = count;
        this.firstWritable = firstWritable;
        long r = 0;
        long w = 0;
        for (int i = 0; i < count; i++) {
            if (i < firstWritable) {
                r += len[i] & 0xffff_ffffL;
            } else {
                w += len[i] & 0xffff_ffffL;
            }
        }
        readable = r;
        writable = w;
    }

    /** Descriptor index of the chain head (the id written to the used ring). */
    public int head() {
        return head;
    }

    public int segments() {
        return count;
    }

    /** Total bytes of the device-readable part. */
    public long readableLength() {
        return readable;
    }

    /** Total bytes of the device-writable part. */
    public long writableLength() {
        return writable;
    }

    /** Copies {@code n} bytes at {@code offset} of the readable stream; false if out of range or not RAM. */
    public boolean read(long offset, byte[] dst, int off, int n) {
        if (offset < 0 || n < 0 || offset > readable - n) {
            return false;
        }
        return copy(0, firstWritable, offset, dst, off, n, false);
    }

    /** Copies {@code n} bytes into the writable stream at {@code offset}; false if out of range or not RAM. */
    public boolean write(long offset, byte[] src, int off, int n) {
        if (offset < 0 || n < 0 || offset > writable - n) {
            return false;
        }
        return copy(firstWritable, count, offset, src, off, n, true);
    }

    private boolean copy(int from, int to, long offset, byte[] buf, int off, int n, boolean toGuest) {
        int done = 0;
        long skip = offset;
        for (int i = from; i < to && done < n; i++) {
            long l = len[i] & 0xffff_ffffL;
            if (skip >= l) {
                skip -= l;
                continue;
            }
            int chunk = (int) Math.min(l - skip, n - done);
            boolean ok = toGuest
                    ? memory.write(addr[i] + skip, buf, off + done, chunk)
                    : memory.read(addr[i] + skip, buf, off + done, chunk);
            if (!ok) {
                return false;
            }
            done += chunk;
            skip = 0;
        }
        return done == n;
    }
}
