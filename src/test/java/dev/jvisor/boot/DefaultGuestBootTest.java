package dev.jvisor.boot;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QEMU as the oracle for the default guest: the real Debian kernel with our initramfs must reach
 * the marker, run a shell command typed on the serial console, and power off. Skipped without
 * qemu-system-i386 or the fetched guest.
 */
class DefaultGuestBootTest {
    private static final Pattern HALTED = Pattern.compile("reboot: (System halted|Power down)");

    @TempDir
    Path dir;

    @Test
    void bootsToAShellUnderQemu() throws Exception {
        Toolchain.require("qemu-system-i386");
        DefaultGuest guest = new DefaultGuest(GuestFetcherTest.fetchOrSkip());
        Path initrd = guest.initramfsFile();
        Process p = new ProcessBuilder("qemu-system-i386", "-kernel", guest.kernel().toString(), "-initrd",
                initrd.toString(), "-append", DefaultGuest.DEFAULT_CMDLINE, "-m", "256", "-display", "none",
                "-serial", "stdio", "-monitor", "none", "-no-reboot")
                .redirectErrorStream(true).start();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try {
            InputStream in = p.getInputStream();
            OutputStream out = p.getOutputStream();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            boolean typed = false;
            byte[] buf = new byte[4096];
            while (System.nanoTime() < deadline) {
                if (in.available() > 0) {
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    log.write(buf, 0, n);
                    String s = log.toString(StandardCharsets.ISO_8859_1);
                    if (typed && HALTED.matcher(s).find()) {
                        break;
                    }
                    if (!typed && s.contains(DefaultGuest.MARKER)) {
                        Thread.sleep(500);
                        out.write("echo jvisor-$((6*7)); poweroff -f\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        typed = true;
                    }
                } else if (!p.isAlive()) {
                    log.write(in.readAllBytes());
                    break;
                } else {
                    Thread.sleep(20);
                }
            }
            String s = log.toString(StandardCharsets.ISO_8859_1);
            assertTrue(s.contains(DefaultGuest.MARKER), "no marker:\n" + tail(s));
            assertTrue(s.contains("jvisor-42"), "shell did not run the command:\n" + tail(s));
            // With acpi=off there is no power-off method: the kernel halts (cli; hlt) instead.
            assertTrue(HALTED.matcher(s).find() || !p.isAlive(), "poweroff -f did not stop the VM:\n" + tail(s));
        } finally {
            p.destroyForcibly();
        }
    }

    private static String tail(String s) {
        return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    }
}
