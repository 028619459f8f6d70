package dev.jvisor.devices.virtio;

import dev.jvisor.bus.GuestMemory;
import java.security.SecureRandom;
import java.util.Random;

/**
 * virtio-rng, the entropy device (virtio 1.1 section 5.4): one request queue; each buffer the
 * driver posts is filled with random bytes from {@link SecureRandom}, at most
 * {@link #MAX_PER_REQUEST} bytes per request (the device may return fewer than asked, 5.4.6.1),
 * so a huge guest buffer costs a bounded amount of host work.
 */
public final class VirtioRng extends VirtioPciTransport {
    public static final int DEVICE_ID = 4;
    public static final int QUEUE_SIZE = 64;
    public static final int MAX_PER_REQUEST = 4096;

    private final Random random;

    public VirtioRng(GuestMemory memory) {
        this(memory, new SecureRandom());
    }

    /** With a given source (tests pass a seeded one). */
    public VirtioRng(GuestMemory memory, Random source) {
        super("virtio-rng", memory, DEVICE_ID, 0xff0000, 0, new int[] {QUEUE_SIZE}, 0);
        this.random = source;
    }

    @Override
    protected int deviceConfigByte(int offset) {
        return 0;
    }

    @Override
    protected void processQueue(Virtqueue q) {
        DescriptorChain c;
        while ((c = q.next()) != null) {
            int n = (int) Math.min(MAX_PER_REQUEST, c.writableLength());
            byte[] buffer = new byte[n];
            random.nextBytes(buffer);
            if (!c.write(0, buffer, 0, n)) {
                throw new VirtioError("entropy buffer not writable");
            }
            q.complete(c, n);
        }
    }
}
