package dev.jvisor.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Fetches the real default guest from Debian into a test cache (target/test-guest-cache, so a
 * rebuild without "mvn clean" reuses it) and loads the real kernel. Skipped, with the reason,
 * when apt-get/dpkg-deb are missing or the network download fails.
 */
class GuestFetcherTest {
    static final Path TEST_CACHE = Path.of("target", "test-guest-cache").toAbsolutePath();

    /** The fetched guest, or the test is skipped. Shared with {@link DefaultGuestBootTest}. */
    static FetchedGuest fetchOrSkip() {
        for (String tool : List.of("apt-get", "apt-cache", "dpkg-deb")) {
            assumeTrue(Toolchain.onPath(tool), tool + " is not installed; skipping the Debian guest fetch");
        }
        GuestFetcher f = new GuestFetcher(TEST_CACHE, msg -> System.out.println("[fetch] " + msg));
        try {
            return f.fetch();
        } catch (BootException e) {
            String m = e.getMessage();
            assumeTrue(!(m.startsWith("apt-get update") || m.startsWith("apt-get download")),
                    "network or mirror unavailable; skipping: " + m);
            throw new AssertionError(m, e);
        }
    }

    @Test
    void fetchesAndLoadsTheDebianKernel() throws Exception {
        FetchedGuest g = fetchOrSkip();
        byte[] img = Files.readAllBytes(g.kernel());
        SetupHeader h = SetupHeader.parse(img, g.kernel().toString());
        System.out.printf("[fetch] %s (%s): %d bytes, %s%n", g.kernel().getFileName(), g.kernelPackage(), img.length, h);
        System.out.printf("[fetch] busybox (%s): %d bytes%n", g.busyboxPackage(), Files.size(g.busybox()));
        assertTrue(h.kernelVersion().startsWith("6.1."), h.kernelVersion());
        assertTrue(h.kernelVersion().contains("-686 "), h.kernelVersion());
        assertTrue(h.version() >= 0x20A);
        assertTrue(h.relocatable());
        assertEquals(2047, h.cmdlineSize());

        DefaultGuest guest = new DefaultGuest(g);
        List<String> applets = guest.applets();
        System.out.printf("[fetch] %d busybox applets parsed from the binary%n", applets.size());
        assertTrue(applets.size() > 200, "parsed applet table, not the fallback: " + applets.size());
        assertTrue(applets.containsAll(List.of("sh", "mount", "poweroff", "setsid", "cttyhack", "[", "zcat")));

        ArrayGuestMemory mem = new ArrayGuestMemory((int) DefaultGuest.DEFAULT_MEMORY);
        BootEntry e = guest.load(mem, null);
        assertEquals(h.prefAddress(), e.eip(), "the XZ vmlinux is unpacked on the host and entered at startup_32");
        assertTrue(mem.read32(e.eip()) != 0, "kernel code at startup_32");
        assertEquals(0x100000, guest.load(new ArrayGuestMemory((int) DefaultGuest.DEFAULT_MEMORY), null, true).eip(),
                "--guest-decompress enters the bzImage's decompressor at code32_start");
        long rdAddr = mem.read32(BootLayout.ZERO_PAGE + 0x218) & 0xFFFFFFFFL;
        long rdSize = mem.read32(BootLayout.ZERO_PAGE + 0x21C) & 0xFFFFFFFFL;
        System.out.printf("[fetch] initramfs %d bytes at 0x%x; kernel runtime image ends at 0x%x%n", rdSize, rdAddr,
                LinuxLoader.runtimeStart(h) + h.initSize());
        assertTrue(rdAddr >= LinuxLoader.runtimeStart(h) + h.initSize());
        assertTrue(rdAddr + rdSize <= DefaultGuest.DEFAULT_MEMORY);

        vmlinuxFromThePayloadLoads(g, img, h, guest);

        // Second use: no tools, no network.
        GuestFetcher offline = new GuestFetcher(TEST_CACHE, "/nonexistent/apt-get", "/nonexistent/apt-cache",
                "/nonexistent/dpkg-deb", msg -> {});
        assertEquals(g, offline.fetch());
    }

    /**
     * The bzImage payload is the xz-compressed, stripped vmlinux ELF: decompress it with the xz
     * tool (if installed) and check that the ELF loader enters it at the physical startup_32.
     */
    private static void vmlinuxFromThePayloadLoads(FetchedGuest g, byte[] img, SetupHeader h, DefaultGuest guest)
            throws Exception {
        if (!Toolchain.onPath("xz") || h.payloadLength() < 6 || (img[h.setupSize() + (int) h.payloadOffset()] & 0xFF) != 0xFD) {
            System.out.println("[fetch] xz or an xz payload missing: not checking the payload vmlinux");
            return;
        }
        Path dir = Files.createTempDirectory("jvisor-vmlinux");
        try {
            int from = h.setupSize() + (int) h.payloadOffset();
            Files.write(dir.resolve("payload.xz"), java.util.Arrays.copyOfRange(img, from, from + (int) h.payloadLength()));
            Toolchain.run(dir, "sh", "-c", "xz -dc --single-stream < payload.xz > vmlinux");
            Path vmlinux = dir.resolve("vmlinux");
            assertEquals(KernelFormat.ELF_VMLINUX, KernelLoader.detect(vmlinux));
            ArrayGuestMemory mem = new ArrayGuestMemory((int) DefaultGuest.DEFAULT_MEMORY);
            BootEntry e = KernelLoader.loadLinux(mem, vmlinux, guest.initramfs(), DefaultGuest.DEFAULT_CMDLINE);
            assertEquals(0x1000000, e.eip(), "vmlinux e_entry is startup_32's physical address");
            assertEquals(0x53726448, mem.read32(BootLayout.ZERO_PAGE + 0x202));
            ElfImage elf = ElfImage.parse(Files.readAllBytes(vmlinux), "vmlinux");
            System.out.printf("[fetch] payload vmlinux: %d bytes, entry 0x%x, %d PT_LOAD segments, image [0x%x, 0x%x)%n",
                    Files.size(vmlinux), elf.entry(), elf.segments().size(), elf.lowestAddress(), elf.physicalEnd());
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
