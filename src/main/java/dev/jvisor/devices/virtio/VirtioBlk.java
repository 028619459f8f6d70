package dev.jvisor.devices.virtio;

import dev.jvisor.bus.GuestMemory;
import dev.jvisor.devices.block.BlockBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * virtio-blk (virtio 1.1 section 5.2): one request queue over a {@link BlockBackend}.
 *
 * <p>Features offered: SEG_MAX (254, so a request fits the 256-entry queue with its header and
 * status), BLK_SIZE (512), FLUSH (the backend has a volatile cache: a host file), RO for a
 * read-only backend. Requests (5.2.6): IN, OUT, FLUSH, GET_ID; anything else answers UNSUPP.
 * A request that is malformed (header short, data not a whole number of sectors, no room for the
 * status byte...), reaches beyond the capacity, writes a read-only disk, or fails on the host
 * answers IOERR; a chain with no writable byte for the status cannot be answered and is a device
 * error. Requests run synchronously on the notifying vCPU thread, copying through one 64 KiB
 * bounce buffer, so a request costs time proportional to its (capacity-bounded) length and no
 * allocation.
 */
public final class VirtioBlk extends VirtioPciTransport {
    public static final int DEVICE_ID = 2;
    public static final int QUEUE_SIZE = 256;

    public static final long F_SIZE_MAX = 1L << 1;
    public static final long F_SEG_MAX = 1L << 2;
    public static final long F_RO = 1L << 5;
    public static final long F_BLK_SIZE = 1L << 6;
    public static final long F_FLUSH = 1L << 9;

    static final int T_IN = 0;
    static final int T_OUT = 1;
    static final int T_FLUSH = 4;
    static final int T_GET_ID = 8;
    static final int S_OK = 0;
    static final int S_IOERR = 1;
    static final int S_UNSUPP = 2;

    static final int SECTOR = 512;
    static final int ID_BYTES = 20;
    private static final int HEADER = 16;
    private static final int CONFIG_LENGTH = 0x100;

    private final BlockBackend backend;
    private final byte[] bounce = new byte[64 * 1024];
    private final byte[] header = new byte[HEADER];
    private final byte[] statusByte = new byte[1];
    private final byte[] config = new byte[CONFIG_LENGTH];
    private final byte[] id;

    public VirtioBlk(GuestMemory memory, BlockBackend backend) {
        super("virtio-blk", memory, DEVICE_ID, 0x018000, F_SEG_MAX | F_BLK_SIZE | F_FLUSH | (backend.readOnly() ? F_RO : 0),
                new int[] {QUEUE_SIZE}, CONFIG_LENGTH);
        this.backend = backend;
        long sectors = backend.sizeBytes() / SECTOR;
        putLE(0, 8, sectors);              // capacity
        putLE(12, 4, QUEUE_SIZE - 2);      // seg_max
        putLE(20, 4, SECTOR);              // blk_size
        putLE(34, 2, 1);                   // num_queues (meaningful only with MQ)
        byte[] name = backend.id().getBytes(StandardCharsets.US_ASCII);
        id = new byte[ID_BYTES];
        System.arraycopy(name, 0, id, 0, Math.min(ID_BYTES, name.length));
    }

    private void putLE(int offset, int size, long value) {
        for (int i = 0; i < size; i++) {
            config[offset + i] = (byte) (value >>> (8 * i));
        }
    }

    public BlockBackend backend() {
        return backend;
    }

    @Override
    protected int deviceConfigByte(int offset) {
        return config[offset] & 0xff;
    }

    @Override
    protected void processQueue(Virtqueue q) {
        DescriptorChain c;
        while ((c = q.next()) != null) {
            if (c.writableLength() < 1) {
                throw new VirtioError("request without a status byte");
            }
            long dataIn = c.writableLength() - 1; // writable data before the status byte
            long written = handle(c, dataIn);
            int status = (int) (written >>> 56);
            long len = written & 0x00ff_ffff_ffff_ffffL;
            statusByte[0] = (byte) status;
            if (!c.write(dataIn, statusByte, 0, 1)) {
                throw new VirtioError("status byte not writable");
            }
            q.complete(c, len + 1);
        }
    }

    /** Runs one request; returns status << 56 | bytes written before the status byte. */
    private long handle(DescriptorChain c, long dataIn) {
        if (c.readableLength() < HEADER || !c.read(0, header, 0, HEADER)) {
            return (long) S_IOERR << 56;
        }
        int type = readLE(header, 0, 4);
        long sector = (readLE(header, 8, 4) & 0xffff_ffffL) | (long) readLE(header, 12, 4) << 32;
        long dataOut = c.readableLength() - HEADER;
        switch (type) {
            case T_IN -> {
                if (!inRange(sector, dataIn)) {
                    return (long) S_IOERR << 56;
                }
                long done = 0;
                try {
                    while (done < dataIn) {
                        int n = (int) Math.min(bounce.length, dataIn - done);
                        backend.read(sector * SECTOR + done, bounce, 0, n);
                        if (!c.write(done, bounce, 0, n)) {
                            return (long) S_IOERR << 56 | done;
                        }
                        done += n;
                    }
                } catch (IOException e) {
                    return (long) S_IOERR << 56 | done;
                }
                return done;
            }
            case T_OUT -> {
                if (backend.readOnly() || !inRange(sector, dataOut)) {
                    return (long) S_IOERR << 56;
                }
                try {
                    for (long done = 0; done < dataOut; ) {
                        int n = (int) Math.min(bounce.length, dataOut - done);
                        if (!c.read(HEADER + done, bounce, 0, n)) {
                            return (long) S_IOERR << 56;
                        }
                        backend.write(sector * SECTOR + done, bounce, 0, n);
                        done += n;
                    }
                } catch (IOException e) {
                    return (long) S_IOERR << 56;
                }
                return 0;
            }
            case T_FLUSH -> {
                try {
                    backend.flush();
                    return 0;
                } catch (IOException e) {
                    return (long) S_IOERR << 56;
                }
            }
            case T_GET_ID -> {
                // 5.2.6: up to 20 bytes, not NUL-terminated if exactly 20 long.
                int n = (int) Math.min(ID_BYTES, dataIn);
                if (!c.write(0, id, 0, n)) {
                    return (long) S_IOERR << 56;
                }
                return n;
            }
            default -> {
                return (long) S_UNSUPP << 56;
            }
        }
    }

    /** Whole sectors, starting inside the disk and ending at or before its end (5.2.6.1). */
    private boolean inRange(long sector, long bytes) {
        long capacity = backend.sizeBytes() / SECTOR;
        if (bytes % SECTOR != 0 || sector < 0 || sector > capacity) {
            return false;
        }
        return bytes / SECTOR <= capacity - sector;
    }

    private static int readLE(byte[] b, int at, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) {
            v |= (b[at + i] & 0xff) << (8 * i);
        }
        return v;
    }
}
