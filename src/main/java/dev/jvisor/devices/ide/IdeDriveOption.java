package dev.jvisor.devices.ide;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One {@code --drive} option for an IDE disk, QEMU-style: {@code file=PATH,if=ide[,readonly=on|off]
 * [,index=0-3][,format=raw][,media=disk]}. A comma inside the path is written twice ({@code ,,}).
 * {@code index} is the position on the controller (0 primary master, 1 primary slave, 2 secondary
 * master, 3 secondary slave); without it the drive takes the next free position. Errors are
 * one-line {@link IllegalArgumentException}s.
 */
public record IdeDriveOption(Path file, boolean readOnly, int index) {
    public static final int NEXT_FREE = -1;

    public static IdeDriveOption parse(String spec) {
        String file = null;
        boolean readOnly = false;
        int index = NEXT_FREE;
        for (String item : split(spec)) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--drive " + spec + ": expected key=value, got '" + item + "'");
            }
            String key = item.substring(0, eq);
            String value = item.substring(eq + 1);
            switch (key) {
                case "file" -> file = value;
                case "if" -> {
                    if (!value.equals("ide")) {
                        throw new IllegalArgumentException("--drive " + spec + ": if=" + value + " is not supported (only if=ide)");
                    }
                }
                case "readonly" -> readOnly = switch (value) {
                    case "on", "true", "yes" -> true;
                    case "off", "false", "no" -> false;
                    default -> throw new IllegalArgumentException("--drive " + spec + ": readonly must be on or off");
                };
                case "index" -> {
                    try {
                        index = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        index = Integer.MIN_VALUE;
                    }
                    if (index < 0 || index >= Piix3Ide.MAX_DRIVES) {
                        throw new IllegalArgumentException("--drive " + spec + ": index must be 0-3");
                    }
                }
                case "format" -> {
                    if (!value.equals("raw")) {
                        throw new IllegalArgumentException("--drive " + spec + ": format=" + value + " is not supported (only raw)");
                    }
                }
                case "media" -> {
                    if (!value.equals("disk")) {
                        throw new IllegalArgumentException("--drive " + spec + ": media=" + value + " is not supported (only disk)");
                    }
                }
                default -> throw new IllegalArgumentException("--drive " + spec + ": unknown key '" + key + "'");
            }
        }
        if (file == null || file.isEmpty()) {
            throw new IllegalArgumentException("--drive " + spec + ": file= is required");
        }
        return new IdeDriveOption(Path.of(file), readOnly, index);
    }

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

    /** Splits on single commas; ",," stands for a comma in a value. */
    private static List<String> split(String spec) {
        List<String> items = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < spec.length(); i++) {
            char c = spec.charAt(i);
            if (c == ',') {
                if (i + 1 < spec.length() && spec.charAt(i + 1) == ',') {
                    cur.append(',');
                    i++;
                    continue;
                }
                items.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        items.add(cur.toString());
        return items;
    }
}
