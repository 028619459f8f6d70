package dev.jvisor.devices.ide;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One IDE disk for the controller: the image, whether it is read-only, and its position (0 primary
 * master, 1 primary slave, 2 secondary master, 3 secondary slave; {@link #NEXT_FREE} takes the
 * next free one). The command line's {@code --drive} syntax is parsed by the machine's DriveSpec.
 */
public record IdeDriveOption(Path file, boolean readOnly, int index) {
    public static final int NEXT_FREE = -1;

    /** Opens the image as this option asks. */
    public RawIdeDisk open() throws IOException {
        return RawIdeDisk.open(file, readOnly);
    }

    /**
     * Positions for a list of drives in command-line order: explicit indexes first, the rest fill
     * the free positions in order. Throws on a duplicate index or more than four drives.
     */
    public static int[] positions(List<IdeDriveOption> drives) {
        boolean[] used = new boolean[Piix3Ide.MAX_DRIVES];
        int[] out = new int[drives.size()];
        for (int i = 0; i < drives.size(); i++) {
            int at = drives.get(i).index();
            if (at != NEXT_FREE) {
                if (used[at]) {
                    throw new IllegalArgumentException("--drive: two drives at index " + at);
                }
                used[at] = true;
            }
            out[i] = at;
        }
        int next = 0;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == NEXT_FREE) {
                while (next < used.length && used[next]) {
                    next++;
                }
                if (next == used.length) {
                    throw new IllegalArgumentException("--drive: at most " + Piix3Ide.MAX_DRIVES + " IDE drives");
                }
                used[next] = true;
                out[i] = next;
            }
        }
        return out;
    }
}
