package dev.jvisor.boot;

import java.nio.charset.StandardCharsets;

/** Finds the "Linux version ..." banner (linux_banner) in an uncompressed kernel image. */
final class VmlinuxBanner {
    private VmlinuxBanner() {}

    private static final byte[] PREFIX = "Linux version ".getBytes(StandardCharsets.ISO_8859_1);

    /** The banner up to the end of its line (without "Linux version "), or null if absent. */
    static String find(byte[] image) {
        outer:
        for (int i = 0; i + PREFIX.length < image.length; i++) {
            for (int j = 0; j < PREFIX.length; j++) {
                if (image[i + j] != PREFIX[j]) {
                    continue outer;
                }
            }
            int start = i + PREFIX.length;
            int end = start;
            while (end < image.length && end < start + 512 && image[end] != 0 && image[end] != '\n') {
                end++;
            }
            // linux_banner is followed by a version number; skip stray prose matches
            if (end > start && Character.isDigit(image[start])) {
                return new String(image, start, end - start, StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }
}
