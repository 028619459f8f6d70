package dev.jvisor.devices.ide;

import java.io.IOException;
import java.util.Random;

/** An in-memory disk whose every operation fails with an exception at random (hostile backend). */
final class FlakyDisk implements IdeDisk {
    private final byte[] data;
    private final Random random;
    int failures;

    FlakyDisk(int sectors, long seed) {
        data = new byte[sectors * SECTOR_SIZE];
        random = new Random(seed);
    }

    @Override
    public long sectors() {
        return data.length / SECTOR_SIZE;
    }

    @Override
    public boolean readOnly() {
        return false;
    }

    private void maybeFail() throws IOException {
        switch (random.nextInt(6)) {
            case 0 -> {
                failures++;
                throw new IOException("injected");
            }
            case 1 -> {
                failures++;
                throw new IllegalStateException("injected runtime failure");
            }
            default -> { }
        }
    }

    @Override
    public void read(long lba, byte[] buf, int off, int count) throws IOException {
        maybeFail();
        System.arraycopy(data, (int) lba * SECTOR_SIZE, buf, off, count * SECTOR_SIZE);
    }

    @Override
    public void write(long lba, byte[] buf, int off, int count) throws IOException {
        maybeFail();
        System.arraycopy(buf, off, data, (int) lba * SECTOR_SIZE, count * SECTOR_SIZE);
    }

    @Override
    public void flush() throws IOException {
        maybeFail();
    }
}
