package dev.jvisor.machine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One {@code --drive} option, QEMU-style: {@code file=PATH[,if=ide|virtio][,format=raw]
 * [,readonly=on|off][,index=N][,media=disk]}. A comma inside the path is written twice.
 * Errors are one-line {@link IllegalArgumentException}s naming the option.
 */
public record DriveSpec(Path file, String iface, boolean readOnly, int index) {
    public static final int NEXT_FREE = -1;

    public static DriveSpec parse(String spec) {
        String file = null;
        String iface = "ide";
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
                    if (!value.equals("ide") && !value.equals("virtio")) {
                        throw new IllegalArgumentException("--drive " + spec + ": if=" + value + " is not supported (ide or virtio)");
                    }
                    iface = value;
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
                        throw new IllegalArgumentException("--drive " + spec + ": index must be a number");
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
        return new DriveSpec(Path.of(file), iface, readOnly, index);
    }

    private static List<String> split(String spec) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < spec.length(); i++) {
            char ch = spec.charAt(i);
            if (ch == ',') {
                if (i + 1 < spec.length() && spec.charAt(i + 1) == ',') {
                    cur.append(',');
                    i++;
                    continue;
                }
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(ch);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
