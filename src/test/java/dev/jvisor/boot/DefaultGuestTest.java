package dev.jvisor.boot;

import static dev.jvisor.boot.LinuxLoaderTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default guest's pieces that need no network: applet table, initramfs layout, tar, cache. */
class DefaultGuestTest {
    @TempDir
    Path dir;

    /** A fake busybox: ELF magic, junk, an applet table, junk. */
    static byte[] fakeBusybox(List<String> applets) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {0x7F, 'E', 'L', 'F', 1, 1, 1, 0});
        b.writeBytes("some[\0[[\0xx\0 junk\0".getBytes(StandardCharsets.ISO_8859_1));
        for (String a : applets) {
            b.writeBytes(a.getBytes(StandardCharsets.ISO_8859_1));
            b.write(0);
        }
        b.writeBytes(new byte[] {0, 0, (byte) 0x90, 0x12, 0x34});
        return b.toByteArray();
    }

    @Test
    void parsesTheAppletTable() {
        List<String> names = new java.util.ArrayList<>(List.of("[", "[["));
        for (char c = 'a'; c <= 'z'; c++) {
            names.add(c + "cmd");
            names.add(c + "cmd2");
        }
        names.addAll(List.of("mount", "sh"));
        names.sort(null);
        assertEquals(names, BusyboxApplets.parse(fakeBusybox(names)));
        assertNull(BusyboxApplets.parse(fakeBusybox(List.of("[", "[[", "ash", "sh"))), "too short to be real");
        assertEquals(BusyboxApplets.FALLBACK, BusyboxApplets.of(new byte[100]));
    }

    @Test
    void buildsTheGuestInitramfs() throws Exception {
        Path bb = dir.resolve("busybox");
        Files.write(bb, fakeBusybox(List.of()));
        Path kernel = dir.resolve("vmlinuz-test");
        Files.write(kernel, new SyntheticBzImage().build());
        DefaultGuest g = new DefaultGuest(new FetchedGuest(kernel, bb, "k", "b"));
        assertEquals(BusyboxApplets.FALLBACK, g.applets());

        byte[] gz = g.initramfs("#!/bin/busybox sh\necho custom\n",
                Map.of("/opt/test.sh", "#!/bin/sh\n".getBytes(), "/etc/data", new byte[] {1, 2}));
        byte[] cpio = new GZIPInputStream(new ByteArrayInputStream(gz)).readAllBytes();
        Map<String, CpioReader.Entry> e = CpioReader.read(cpio).stream()
                .collect(Collectors.toMap(CpioReader.Entry::name, x -> x));
        assertEquals("#!/bin/busybox sh\necho custom\n", e.get("init").text());
        assertEquals(0100755, e.get("init").mode());
        assertEquals(0100755, e.get("bin/busybox").mode());
        assertEquals("busybox", e.get("bin/sh").text());
        assertEquals("busybox", e.get("bin/poweroff").text());
        assertEquals(0120777, e.get("bin/cttyhack").mode());
        assertEquals(0100755, e.get("opt/test.sh").mode());
        assertEquals(0100644, e.get("etc/data").mode());
        assertEquals(041777, e.get("tmp").mode());
        assertEquals(5, e.get("dev/console").rdevMajor());
        for (String d : List.of("proc", "sys", "dev", "sbin", "usr/bin", "usr/sbin")) {
            assertEquals(040000, e.get(d).mode() & 0170000, d);
        }
        assertTrue(DefaultGuest.DEFAULT_INIT.startsWith("#!/bin/busybox sh\n"));
        assertTrue(DefaultGuest.DEFAULT_INIT.contains(DefaultGuest.MARKER));

        // The default image is reproducible and loads with the kernel.
        assertTrue(java.util.Arrays.equals(g.initramfs(), g.initramfs()));
        ArrayGuestMemory mem = new ArrayGuestMemory(64 << 20);
        g.load(mem, null);
        assertEquals(DefaultGuest.DEFAULT_CMDLINE, mem.cString(BootLayout.CMDLINE));
        Path f = g.initramfsFile();
        assertTrue(java.util.Arrays.equals(g.initramfs(), Files.readAllBytes(f)));
    }

    @Test
    void missingToolsGiveAClearMessage() {
        GuestFetcher f = new GuestFetcher(dir.resolve("cache"), "/nonexistent/apt-get", "/nonexistent/apt-cache",
                "/nonexistent/dpkg-deb", msg -> {});
        assertNull(f.cached());
        assertMessage("/nonexistent/apt-get: not found; cannot fetch the default Debian guest", f::fetch);
        try {
            f.fetch();
        } catch (BootException e) {
            assertTrue(e.getMessage().contains("--kernel and --initrd"));
        }
    }

    @Test
    void aptRunsWithPrivateState() {
        GuestFetcher f = new GuestFetcher(dir, msg -> {});
        List<String> cmd = f.aptCommand("apt-get", dir.resolve("apt"), "update");
        String s = String.join(" ", cmd);
        assertTrue(s.contains("-o APT::Architecture=i386"));
        assertTrue(s.contains("-o Dir::State::Status=" + dir.resolve("apt/status")));
        assertTrue(s.contains("-o Dir::State::Lists=" + dir.resolve("apt/lists")));
        assertTrue(s.contains("-o Dir::Cache=" + dir.resolve("apt/cache")));
        assertTrue(s.contains("-o Debug::NoLocking=1"));
        assertEquals("update", cmd.get(cmd.size() - 1));
    }

    @Test
    void tarReaderFindsFilesIncludingLongNames() throws Exception {
        Toolchain.require("tar");
        Path root = dir.resolve("root");
        String deep = "lib/" + "d".repeat(120) + "/x.ko";
        Files.createDirectories(root.resolve(deep).getParent());
        Files.writeString(root.resolve(deep), "module");
        Files.createDirectories(root.resolve("boot"));
        Files.writeString(root.resolve("boot/vmlinuz-1.2.3"), "kernel!");
        Toolchain.run(dir, "tar", "--format=gnu", "-cf", "a.tar", "-C", "root", ".");
        Map<String, String> got = new java.util.TreeMap<>();
        TarReader.read(Files.newInputStream(dir.resolve("a.tar")), new TarReader.Visitor() {
            @Override
            public boolean wants(String path) {
                return true;
            }

            @Override
            public boolean accept(String path, int mode, byte[] data) {
                got.put(path, new String(data, StandardCharsets.UTF_8));
                return true;
            }
        });
        assertEquals(Map.of(deep, "module", "boot/vmlinuz-1.2.3", "kernel!"), got);
    }
}
