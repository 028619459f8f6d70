package dev.jvisor.boot;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
        String s = run(guest, List.of("-serial", "stdio"), DefaultGuest.DEFAULT_CMDLINE,
                "echo jvisor-$((6*7)); poweroff -f\n");
        assertTrue(s.contains("jvisor-42"), "shell did not run the command:\n" + tail(s));
        // With acpi=off there is no power-off method: the kernel halts (cli; hlt) instead.
        assertTrue(HALTED.matcher(s).find(), "poweroff -f did not stop the VM:\n" + tail(s));
    }

    /**
     * With virtio-blk, virtio-rng, a virtio console port and an IDE disk, the modules in the
     * initramfs bring up /dev/vda, /dev/hwrng and /dev/sda, and with console=hvc0 the marker and
     * the shell are on hvc0 (QEMU's stdio here; the serial port goes to a file).
     */
    @Test
    void modulesBringUpVirtioAndIdeDevicesAndTheShellRunsOnHvc0() throws Exception {
        Toolchain.require("qemu-system-i386");
        DefaultGuest guest = new DefaultGuest(GuestFetcherTest.fetchOrSkip());
        assertTrue(guest.files().modules().size() >= 6, "modules in the cache: " + guest.files().modules());
        Path disk = dir.resolve("disk.img");
        Path ide = dir.resolve("ide.img");
        try (var f = new java.io.RandomAccessFile(disk.toFile(), "rw"); var g = new java.io.RandomAccessFile(ide.toFile(), "rw")) {
            f.setLength(8 << 20);
            g.setLength(8 << 20);
        }
        String s = run(guest, List.of("-serial", "file:" + dir.resolve("serial.log"),
                "-device", "virtio-serial", "-device", "virtconsole,chardev=c0", "-chardev", "stdio,id=c0",
                "-device", "virtio-blk-pci,drive=d", "-drive", "id=d,file=" + disk + ",if=none,format=raw",
                "-device", "virtio-rng-pci", "-drive", "file=" + ide + ",if=ide,format=raw"),
                DefaultGuest.DEFAULT_CMDLINE + " console=hvc0",
                "echo on-$(tty); for d in vda sda hwrng; do [ -e /dev/$d ] && echo have-$d; done; poweroff -f\n",
                dir.resolve("serial.log"));
        assertTrue(s.contains("on-/dev/hvc0"), "shell not on hvc0:\n" + tail(s));
        for (String d : List.of("vda", "sda", "hwrng")) {
            assertTrue(s.contains("have-" + d), "no /dev/" + d + ":\n" + tail(s));
        }
        String serial = Files.readString(dir.resolve("serial.log"), StandardCharsets.ISO_8859_1);
        assertTrue(serial.contains("Run /init as init process"), tail(serial));
        assertFalse(serial.contains("cut here"), "kernel warning:\n" + tail(serial));
    }

    /**
     * Boots QEMU with the default guest, waits for the marker on QEMU's stdio, types the command
     * line and returns the output once the guest halts (or 120 s pass).
     */
    private String run(DefaultGuest guest, List<String> devices, String cmdline, String typed) throws Exception {
        return run(guest, devices, cmdline, typed, null);
    }

    /**
     * The halt message goes to the console that is still up at the end: with console=hvc0, Debian's
     * 6.1.192 it reached only the serial port (the test waited out its 120 s), so the serial log is watched too.
     */
    private static boolean halted(String stdio, Path serial) throws java.io.IOException {
        return HALTED.matcher(stdio).find() || serial != null && Files.exists(serial)
                && HALTED.matcher(Files.readString(serial, StandardCharsets.ISO_8859_1)).find();
    }

    private String run(DefaultGuest guest, List<String> devices, String cmdline, String typed, Path serial) throws Exception {
        Path initrd = guest.initramfsFile();
        List<String> cmd = new ArrayList<>(List.of("qemu-system-i386", "-kernel", guest.kernel().toString(), "-initrd",
                initrd.toString(), "-append", cmdline, "-m", "256", "-display", "none", "-monitor", "none",
                "-no-reboot"));
        cmd.addAll(devices);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try {
            InputStream in = p.getInputStream();
            OutputStream out = p.getOutputStream();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            boolean sent = false;
            byte[] buf = new byte[4096];
            while (System.nanoTime() < deadline) {
                if (in.available() > 0) {
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    log.write(buf, 0, n);
                    String s = log.toString(StandardCharsets.ISO_8859_1);
                    if (sent && halted(s, serial)) {
                        break;
                    }
                    if (!sent && s.contains(DefaultGuest.MARKER)) {
                        Thread.sleep(500);
                        out.write(typed.getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        sent = true;
                    }
                } else if (!p.isAlive()) {
                    log.write(in.readAllBytes());
                    break;
                } else if (sent && halted(log.toString(StandardCharsets.ISO_8859_1), serial)) {
                    break;
                } else {
                    Thread.sleep(20);
                }
            }
            String s = log.toString(StandardCharsets.ISO_8859_1);
            assertTrue(s.contains(DefaultGuest.MARKER), "no marker:\n" + tail(s));
            return s;
        } finally {
            p.destroyForcibly();
        }
    }

    private static String tail(String s) {
        return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    }
}
