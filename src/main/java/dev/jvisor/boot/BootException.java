package dev.jvisor.boot;

/**
 * A boot input (kernel, initrd, module, command line, guest download) that cannot be used. The
 * message is one line that names the file (or tool) and the problem, ready to print to the user.
 */
public final class BootException extends Exception {
    public BootException(String message) {
        super(oneLine(message));
    }

    public BootException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    private static String oneLine(String s) {
        return s == null ? "boot failed" : s.replaceAll("\\s*[\\r\\n]+\\s*", "; ").strip();
    }
}
