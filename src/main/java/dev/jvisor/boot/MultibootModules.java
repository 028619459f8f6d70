package dev.jvisor.boot;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses a module list in QEMU's {@code -initrd} syntax for multiboot kernels:
 * {@code "file1 arg1 arg2,file2"}. Items are separated by commas ("{@code ,,}" stands for a
 * literal comma); each item is a file name, optionally followed by a space and arguments; the
 * module's string is the whole item (file name and arguments).
 */
public final class MultibootModules {
    private MultibootModules() {}

    public static List<MultibootModule> parse(String spec) throws BootException {
        List<MultibootModule> out = new ArrayList<>();
        if (spec == null || spec.isEmpty()) {
            return out;
        }
        StringBuilder item = new StringBuilder();
        int i = 0;
        while (true) {
            boolean end = i >= spec.length();
            char c = end ? ',' : spec.charAt(i);
            if (!end && c == ',' && i + 1 < spec.length() && spec.charAt(i + 1) == ',') {
                item.append(',');
                i += 2;
                continue;
            }
            if (c == ',') {
                out.add(module(item.toString(), spec));
                item.setLength(0);
                if (end) {
                    break;
                }
            } else {
                item.append(c);
            }
            i++;
        }
        return out;
    }

    private static MultibootModule module(String item, String spec) throws BootException {
        int space = item.indexOf(' ');
        String file = space < 0 ? item : item.substring(0, space);
        if (file.isEmpty()) {
            throw new BootException("multiboot module list \"" + spec + "\": empty module file name");
        }
        try {
            return new MultibootModule(Path.of(file), item);
        } catch (RuntimeException e) {
            throw new BootException(file + ": invalid module file name");
        }
    }
}
