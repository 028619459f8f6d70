package dev.jvisor.boot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitramfsTest {
    @TempDir
    Path dir;

    private Initramfs sample() throws Exception {
        Path host = dir.resolve("host.txt");
        Files.writeString(host, "from the host\n");
        return new Initramfs()
                .file("/init", 0755, "#!/bin/busybox sh\necho hi\n".getBytes(StandardCharsets.UTF_8))
                .file("/etc/motd", 0644, host)
                .symlink("/bin/sh", "busybox")
                .standardDevices()
                .directory("/proc", 0555);
    }

    @Test
    void roundTripsThroughNewcCpio() throws Exception {
        byte[] cpio = sample().cpio();
        assertEquals(0, cpio.length % 4);
        List<CpioReader.Entry> entries = CpioReader.read(cpio);
        Map<String, CpioReader.Entry> byName =
                entries.stream().collect(Collectors.toMap(CpioReader.Entry::name, e -> e));
        assertEquals(List.of("init", "etc", "etc/motd", "bin", "bin/sh", "dev", "dev/console", "dev/null",
                "dev/ttyS0", "dev/hvc0", "proc"), entries.stream().map(CpioReader.Entry::name).toList());

        assertEquals(0100755, byName.get("init").mode());
        assertEquals("#!/bin/busybox sh\necho hi\n", byName.get("init").text());
        assertEquals("from the host\n", byName.get("etc/motd").text());
        assertEquals(040755, byName.get("etc").mode());
        assertEquals(2, byName.get("etc").nlink());
        assertEquals(0120777, byName.get("bin/sh").mode());
        assertEquals("busybox", byName.get("bin/sh").text());
        assertEquals(040555, byName.get("proc").mode());
        int[][] devs = {{5, 1}, {1, 3}, {4, 64}, {229, 0}};
        String[] names = {"dev/console", "dev/null", "dev/ttyS0", "dev/hvc0"};
        for (int i = 0; i < 4; i++) {
            CpioReader.Entry d = byName.get(names[i]);
            assertEquals(CpioWriter.S_IFCHR, d.mode() & 0170000, names[i]);
            assertEquals(devs[i][0], d.rdevMajor(), names[i]);
            assertEquals(devs[i][1], d.rdevMinor(), names[i]);
        }
        for (CpioReader.Entry e : entries) {
            assertEquals(0, e.uid());
            assertEquals(0, e.gid());
            assertEquals(0, e.mtime());
        }
        assertEquals(entries.size(), entries.stream().mapToInt(CpioReader.Entry::ino).distinct().count());
    }

    @Test
    void outputIsReproducibleAndGzipped() throws Exception {
        byte[] a = sample().gzip();
        byte[] b = sample().gzip();
        assertArrayEquals(a, b);
        assertEquals(0x1F, a[0] & 0xFF);
        assertEquals(0x8B, a[1] & 0xFF);
        byte[] plain = new GZIPInputStream(new ByteArrayInputStream(a)).readAllBytes();
        assertArrayEquals(sample().cpio(), plain);
        InitrdImage.check(a, "gz");
        InitrdImage.check(plain, "cpio");
    }

    @Test
    void replacingAPathKeepsItsPlace() {
        Initramfs fs = new Initramfs().file("/a", 0644, new byte[] {1}).file("/b", 0644, new byte[] {2});
        fs.file("/a", 0600, new byte[] {3});
        List<CpioReader.Entry> e = CpioReader.read(fs.cpio());
        assertEquals("a", e.get(0).name());
        assertEquals(0100600, e.get(0).mode());
        assertArrayEquals(new byte[] {3}, e.get(0).data());
    }

    @Test
    void checksNamesAndHostFiles() {
        assertThrows(IllegalArgumentException.class, () -> new Initramfs().file("/../x", 0644, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new Initramfs().directory("/", 0755));
        Path missing = dir.resolve("missing");
        BootException e = assertThrows(BootException.class, () -> new Initramfs().file("/x", 0644, missing));
        assertTrue(e.getMessage().startsWith(missing + ": no such file"));
    }

    @Test
    void cpioToolAgrees() throws Exception {
        Toolchain.require("cpio");
        Path archive = dir.resolve("a.cpio");
        Files.write(archive, sample().cpio());
        String listing = Toolchain.run(dir, "sh", "-c", "cpio -t < a.cpio 2>/dev/null");
        assertEquals("init\netc\netc/motd\nbin\nbin/sh\ndev\ndev/console\ndev/null\ndev/ttyS0\ndev/hvc0\nproc\n", listing);
    }
}
