package dev.jvisor.devices.virtio;

import dev.jvisor.bus.GuestMemory;
import java.util.function.IntConsumer;

/**
 * virtio-console (virtio 1.1 section 5.3), port 0 only (no MULTIPORT, no SIZE, no EMERG_WRITE):
 * queue 0 is receiveq (host to guest), queue 1 transmitq (guest to host). Linux makes this port
 * {@code hvc0}, usable as {@code console=hvc0}.
 *
 * <p>Output: every byte the guest transmits goes to the {@code output} sink, on the vCPU thread,
 * in order. Input: {@link #receive} may be called from any thread (a console reader); bytes are
 * kept in a bounded host buffer ({@link #INPUT_BUFFER} bytes) and copied into the receive
 * buffers the driver posts, the queue interrupt is raised, and {@code wake} runs so a halted vCPU
 * notices. Bytes that arrive before the driver is ready wait in the buffer; when it is full,
 * {@code receive} accepts fewer bytes (the caller may retry: {@link #rxSpace()} tells how many fit).
 */
public final class VirtioConsole extends VirtioPciTransport {
    public static final int DEVICE_ID = 3;
    public static final int QUEUE_SIZE = 128;
    public static final int INPUT_BUFFER = 4096;
    static final int RECEIVEQ = 0;
    static final int TRANSMITQ = 1;
    private static final int CONFIG_LENGTH = 12; // cols, rows, max_nr_ports, emerg_wr (5.3.4)

    private final IntConsumer output;
    private final Runnable wake;
    private final byte[] pending = new byte[INPUT_BUFFER];
    private final byte[] chunk = new byte[4096];
    private int head;
    private int count;

    public VirtioConsole(GuestMemory memory, IntConsumer output, Runnable wake) {
        super("virtio-console", memory, DEVICE_ID, 0x078000, 0, new int[] {QUEUE_SIZE, QUEUE_SIZE}, CONFIG_LENGTH);
        this.output = output == null ? b -> { } : output;
        this.wake = wake == null ? () -> { } : wake;
    }

    @Override
    protected int deviceConfigByte(int offset) {
        return 0; // no SIZE or MULTIPORT: the fields are not meaningful
    }

    /** Free room in the host input buffer. Thread-safe. */
    public synchronized int rxSpace() {
        return INPUT_BUFFER - count;
    }

    /** Queues host input for the guest; returns how many bytes were accepted. Thread-safe. */
    public int receive(byte[] data, int off, int len) {
        int accepted;
        synchronized (this) {
            if (off < 0 || len < 0 || off > data.length - len) {
                return 0;
            }
            accepted = Math.min(len, INPUT_BUFFER - count);
            for (int i = 0; i < accepted; i++) {
                pending[(head + count + i) % INPUT_BUFFER] = data[off + i];
            }
            count += accepted;
            runQueue(queue(RECEIVEQ));
        }
        wake.run(); // outside the lock: the vCPU may be waiting for it
        return accepted;
    }

    public int receive(byte[] data) {
        return receive(data, 0, data.length);
    }

    /** One byte of input (the shape of the UART's receive); false if the buffer is full. */
    public boolean receive(int b) {
        return receive(new byte[] {(byte) b}, 0, 1) == 1;
    }

    @Override
    protected void processQueue(Virtqueue q) {
        if (q.index() == TRANSMITQ) {
            transmit(q);
        } else {
            deliver(q);
        }
    }

    private void transmit(Virtqueue q) {
        DescriptorChain c;
        while ((c = q.next()) != null) {
            long total = c.readableLength();
            for (long done = 0; done < total; ) {
                int n = (int) Math.min(chunk.length, total - done);
                if (!c.read(done, chunk, 0, n)) {
                    throw new VirtioError("transmit buffer not readable");
                }
                for (int i = 0; i < n; i++) {
                    output.accept(chunk[i] & 0xff);
                }
                done += n;
            }
            q.complete(c, 0);
        }
    }

    private void deliver(Virtqueue q) {
        while (count > 0 && q.hasAvailable()) {
            DescriptorChain c = q.next();
            if (c == null) {
                return;
            }
            long room = c.writableLength();
            int n = (int) Math.min(room, count);
            int first = Math.min(n, INPUT_BUFFER - head);
            if (!c.write(0, pending, head, first) || !c.write(first, pending, 0, n - first)) {
                throw new VirtioError("receive buffer not writable");
            }
            head = (head + n) % INPUT_BUFFER;
            count -= n;
            q.complete(c, n);
        }
    }

    @Override
    protected void deviceReset() {
        // Host input already buffered stays for the next driver: the user typed it.
    }
}
