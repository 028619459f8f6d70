package dev.jvisor.boot;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The applet names of a busybox binary. The binary cannot run on the host (it is i386), so the
 * names are read from the applet name table compiled into it: one block of NUL-terminated names
 * in strcmp order that always starts with "[" and "[[" (busybox's applet_names). If that table is
 * not found, a fixed list of the applets the guest needs is used.
 */
public final class BusyboxApplets {
    private BusyboxApplets() {}

    /** Applets the default guest relies on (used when the table cannot be parsed). */
    public static final List<String> FALLBACK = List.of(
            "[", "[[", "ash", "awk", "cat", "chmod", "chown", "cp", "cttyhack", "cut", "date", "dd", "df", "dmesg",
            "du", "echo", "env", "false", "find", "free", "grep", "gunzip", "gzip", "halt", "head", "hexdump",
            "hostname", "id", "ifconfig", "init", "ip", "kill", "ln", "ls", "md5sum", "mdev", "mkdir", "mknod",
            "mount", "mv", "nproc", "poweroff", "printf", "ps", "pwd", "readlink", "reboot", "rm", "rmdir", "sed",
            "seq", "setsid", "sh", "sleep", "sort", "stat", "stty", "sync", "tail", "tar", "tee", "test", "time",
            "top", "touch", "tr", "true", "umount", "uname", "uptime", "vi", "wc", "which", "xargs", "yes");

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,31}|\\[|\\[\\[");
    private static final byte[] START = {'[', 0, '[', '[', 0};
    /** A real table has hundreds of names; fewer means we matched something else. */
    private static final int MIN_APPLETS = 40;

    /** The applet names found in the binary, or null if no plausible table is found. */
    public static List<String> parse(byte[] binary) {
        for (int i = indexOf(binary, START, 0); i >= 0; i = indexOf(binary, START, i + 1)) {
            List<String> names = readTable(binary, i);
            if (names.size() >= MIN_APPLETS && names.contains("sh") && names.contains("mount")) {
                return names;
            }
        }
        return null;
    }

    /** The parsed list, or {@link #FALLBACK}; never contains "busybox". */
    public static List<String> of(byte[] binary) {
        List<String> names = parse(binary);
        List<String> out = new ArrayList<>(names == null ? FALLBACK : names);
        out.remove("busybox");
        return List.copyOf(out);
    }

    private static List<String> readTable(byte[] b, int start) {
        List<String> names = new ArrayList<>();
        int p = start;
        String prev = null;
        while (p < b.length) {
            int end = p;
            while (end < b.length && b[end] != 0) {
                end++;
            }
            if (end == p || end >= b.length) {
                break;
            }
            String name = new String(b, p, end - p, StandardCharsets.ISO_8859_1);
            if (!NAME.matcher(name).matches() || (prev != null && prev.compareTo(name) >= 0)) {
                break;
            }
            names.add(name);
            prev = name;
            p = end + 1;
        }
        return names;
    }

    private static int indexOf(byte[] b, byte[] pat, int from) {
        outer:
        for (int i = from; i + pat.length <= b.length; i++) {
            for (int j = 0; j < pat.length; j++) {
                if (b[i + j] != pat[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
