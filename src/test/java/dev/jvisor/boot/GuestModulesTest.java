package dev.jvisor.boot;

import static dev.jvisor.boot.LinuxLoaderTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default guest's kernel modules: the .modinfo parser, the load order from depends=, the
 * extraction from a package tree, the initramfs and /init, and the upgrade of an old cache.
 */
class GuestModulesTest {
    @TempDir
    Path dir;

    /** depends= of the modules of Debian's linux-image-6.1.0-*-686 (as modinfo -F depends prints them). */
    static final Map<String, String> DEBIAN_DEPENDS = new LinkedHashMap<>();

    /** Where each of them lives below lib/modules/VERSION/kernel. */
    static final Map<String, String> DEBIAN_DIRS = new HashMap<>();

    static {
        debian("block", "t10-pi", "crc-t10dif,crc64-rocksoft");
        debian("crypto", "crct10dif_common", "");
        debian("drivers/ata", "ata_piix", "libata");
        debian("drivers/ata", "libata", "scsi_mod,scsi_common");
        debian("drivers/block", "virtio_blk", "virtio,virtio_ring");
        debian("drivers/char/hw_random", "virtio-rng", "virtio,virtio_ring");
        debian("drivers/char", "virtio_console", "virtio,virtio_ring");
        debian("drivers/scsi", "scsi_common", "");
        debian("drivers/scsi", "scsi_mod", "scsi_common");
        debian("drivers/scsi", "sd_mod", "scsi_mod,t10-pi");
        debian("drivers/virtio", "virtio", "");
        debian("drivers/virtio", "virtio_pci", "virtio_ring,virtio_pci_modern_dev,virtio_pci_legacy_dev,virtio");
        debian("drivers/virtio", "virtio_pci_legacy_dev", "");
        debian("drivers/virtio", "virtio_pci_modern_dev", "");
        debian("drivers/virtio", "virtio_ring", "");
        debian("lib", "crc-t10dif", "crct10dif_common");
        debian("lib", "crc64-rocksoft", "crc64");
        debian("lib", "crc64", "");
        // not needed by the roots
        debian("drivers/net", "virtio_net", "net_failover,virtio,virtio_ring");
        debian("drivers/net", "net_failover", "failover");
        debian("net/core", "failover", "");
    }

    private static void debian(String dir, String name, String depends) {
        DEBIAN_DEPENDS.put(name, depends);
        DEBIAN_DIRS.put(name, dir);
    }

    /** The load order for the default roots: every module after its dependencies. */
    static final List<String> EXPECTED_ORDER = List.of("virtio_ring", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
            "virtio", "virtio_pci", "virtio_blk", "virtio_console", "virtio-rng", "scsi_common", "scsi_mod", "libata",
            "ata_piix", "crct10dif_common", "crc-t10dif", "crc64", "crc64-rocksoft", "t10-pi", "sd_mod");

    private static Map<String, List<String>> graph(Map<String, String> depends) {
        Map<String, List<String>> g = new HashMap<>();
        depends.forEach((k, v) -> g.put(ModuleInfo.key(k), v.isEmpty() ? List.of() : List.of(v.split(","))));
        return g;
    }

    private static List<String> keys(List<String> names) {
        return names.stream().map(ModuleInfo::key).toList();
    }

    @Test
    void parsesTheModinfoSectionOf32And64BitModules() throws Exception {
        for (boolean is64 : List.of(false, true)) {
            byte[] ko = SyntheticModule.ko(List.of("alias=virtio:d00000002v*", "depends=virtio,virtio_ring",
                    "alias=second", "name=virtio_blk", "vermagic=6.1.0-50-686 SMP preempt mod_unload modversions 686"),
                    is64);
            ModuleInfo i = ModuleInfo.parse(ko, "virtio_blk.ko");
            assertEquals("virtio_blk", i.name());
            assertEquals(List.of("virtio", "virtio_ring"), i.depends());
            assertEquals(List.of("virtio:d00000002v*", "second"), i.values("alias"));
            assertEquals("6.1.0-50-686 SMP preempt mod_unload modversions 686", i.vermagic());
            assertEquals(5, i.fields().size(), "padding NULs are not fields");
        }
        assertEquals(List.of(), ModuleInfo.parse(SyntheticModule.ko(List.of("depends=", "name=virtio")), "v.ko").depends());
        assertEquals(List.of(), ModuleInfo.parse(SyntheticModule.ko(List.of("name=old")), "o.ko").depends());
        assertNull(ModuleInfo.parse(SyntheticModule.ko(List.of("depends=")), "o.ko").name());
        assertEquals("crc_t10dif", ModuleInfo.key("crc-t10dif"));
    }

    @Test
    void rejectsFilesThatAreNotModules() {
        assertMessage("x.ko: not an ELF kernel module", () -> ModuleInfo.parse(new byte[100], "x.ko"));
        byte[] ko = SyntheticModule.ko(List.of("depends="));
        byte[] noModinfo = ko.clone();
        int at = new String(ko, StandardCharsets.ISO_8859_1).lastIndexOf(".modinfo");
        noModinfo[at + 4] = 'X'; // ".modinfo" -> ".modXnfo" in the section name table
        assertMessage("y.ko: no .modinfo section (not a kernel module)", () -> ModuleInfo.parse(noModinfo, "y.ko"));
        byte[] truncated = java.util.Arrays.copyOf(ko, ko.length - 10);
        assertMessage("z.ko: corrupt ELF section headers", () -> ModuleInfo.parse(truncated, "z.ko"));
        byte[] bigBig = ko.clone();
        bigBig[5] = 2;
        assertMessage("b.ko: not a little-endian ELF kernel module", () -> ModuleInfo.parse(bigBig, "b.ko"));
    }

    @Test
    void loadOrderPutsDependenciesFirst() throws Exception {
        List<String> order = ModuleLoadOrder.resolve(ModuleExtractor.DEFAULT_ROOTS, graph(DEBIAN_DEPENDS), "pkg");
        assertEquals(keys(EXPECTED_ORDER), order);
        Map<String, List<String>> g = graph(DEBIAN_DEPENDS);
        for (int i = 0; i < order.size(); i++) {
            for (String d : g.get(order.get(i))) {
                assertTrue(order.indexOf(ModuleInfo.key(d)) < i, d + " before " + order.get(i));
            }
        }
        assertEquals(List.of("failover", "net_failover", "virtio", "virtio_ring", "virtio_net"),
                ModuleLoadOrder.resolve(List.of("virtio-net"), g, "pkg"));
        assertEquals(List.of("virtio"), ModuleLoadOrder.resolve(List.of("virtio", "virtio"), g, "pkg"));
    }

    @Test
    void loadOrderReportsMissingModulesAndCycles() {
        Map<String, List<String>> g = graph(Map.of("a", "b", "b", "c", "c", "a", "d", "e"));
        assertMessage("pkg: module dependency cycle: a -> b -> c -> a", () -> ModuleLoadOrder.resolve(List.of("a"), g, "pkg"));
        assertMessage("pkg: module e (needed by d) is missing", () -> ModuleLoadOrder.resolve(List.of("d"), g, "pkg"));
        assertMessage("pkg: module f is missing", () -> ModuleLoadOrder.resolve(List.of("f"), g, "pkg"));
    }

    /** A package tree with synthetic modules for every module of {@link #DEBIAN_DEPENDS}, plus a kernel. */
    private Path packageTree(String version) throws Exception {
        Path root = dir.resolve("root");
        for (Map.Entry<String, String> e : DEBIAN_DEPENDS.entrySet()) {
            Path f = root.resolve("lib/modules/" + version + "/kernel/" + DEBIAN_DIRS.get(e.getKey()) + "/" + e.getKey() + ".ko");
            Files.createDirectories(f.getParent());
            Files.write(f, SyntheticModule.module(e.getKey(), e.getValue(), version));
        }
        Files.writeString(root.resolve("lib/modules/" + version + "/modules.order"), "not a module\n");
        Files.createDirectories(root.resolve("boot"));
        Files.write(root.resolve("boot/vmlinuz-" + version), new SyntheticBzImage().build());
        return root;
    }

    private Path tar(Path root) throws Exception {
        Toolchain.require("tar");
        Toolchain.run(dir, "tar", "--format=gnu", "-cf", "pkg.tar", "-C", root.toString(), ".");
        return dir.resolve("pkg.tar");
    }

    @Test
    void extractsTheClosureFromAPackageTree() throws Exception {
        Path tar = tar(packageTree("9.9.9-jv"));
        ModuleExtractor.Result r = ModuleExtractor.extract(ModuleExtractor.of(() -> Files.newInputStream(tar), "pkg.tar"),
                ModuleExtractor.DEFAULT_ROOTS, "pkg.tar");
        assertEquals("9.9.9-jv", r.version());
        assertEquals(EXPECTED_ORDER, r.modules().stream().map(ModuleExtractor.Module::name).toList());
        assertEquals("9.9.9-jv/kernel/drivers/char/hw_random/virtio-rng.ko", r.modules().get(7).path());
        for (ModuleExtractor.Module m : r.modules()) {
            assertEquals(ModuleInfo.key(m.name()), ModuleInfo.parse(m.data(), m.path()).name());
        }
    }

    @Test
    void extractionErrorsNameThePackageAndTheProblem() throws Exception {
        Path root = packageTree("9.9.9-jv");
        Files.delete(root.resolve("lib/modules/9.9.9-jv/kernel/lib/crc64.ko"));
        Path tar = tar(root);
        assertMessage("pkg.tar: module crc64 (needed by crc64_rocksoft) is missing",
                () -> ModuleExtractor.extract(ModuleExtractor.of(() -> Files.newInputStream(tar), "pkg.tar"),
                        ModuleExtractor.DEFAULT_ROOTS, "pkg.tar"));

        Path other = dir.resolve("other");
        Path ko = other.resolve("lib/modules/1.0/kernel/drivers/virtio/virtio.ko.xz");
        Files.createDirectories(ko.getParent());
        Files.write(ko, new byte[] {(byte) 0xFD, '7', 'z', 'X', 'Z', 0});
        Toolchain.run(dir, "tar", "--format=gnu", "-cf", "xz.tar", "-C", other.toString(), ".");
        assertMessage("xz.tar: has only compressed kernel modules (.ko.xz/.ko.zst), which jvisor does not unpack",
                () -> ModuleExtractor.extract(ModuleExtractor.of(() -> Files.newInputStream(dir.resolve("xz.tar")), "xz.tar"),
                        ModuleExtractor.DEFAULT_ROOTS, "xz.tar"));

        Path wrong = packageTree("9.9.9-jv");
        Files.write(wrong.resolve("lib/modules/9.9.9-jv/kernel/lib/crc64.ko"), SyntheticModule.module("crc64", "", "1.2.3"));
        Path tar2 = tar(wrong);
        assertMessage("pkg.tar: lib/modules/9.9.9-jv/kernel/lib/crc64.ko: built for 1.2.3, not 9.9.9-jv",
                () -> ModuleExtractor.extract(ModuleExtractor.of(() -> Files.newInputStream(tar2), "pkg.tar"),
                        ModuleExtractor.DEFAULT_ROOTS, "pkg.tar"));
    }

    /** An old-style cache (no modules): kernel, busybox, properties; returns the cache directory. */
    private Path oldCache(String version) throws Exception {
        Path cache = dir.resolve("cache");
        Path guest = cache.resolve("guest");
        Files.createDirectories(guest);
        Files.write(guest.resolve("vmlinuz-" + version), new SyntheticBzImage().build());
        Files.write(guest.resolve("busybox"), DefaultGuestTest.fakeBusybox(List.of()));
        Files.writeString(guest.resolve("guest.properties"), """
                # jvisor default guest, fetched with apt-get download
                busybox=busybox
                busyboxPackage=busybox-static_1:1.35.0-4+deb12u1+b1_i386
                kernel=vmlinuz-%1$s
                kernelPackage=linux-image-%1$s_%1$s-1_i386
                """.formatted(version));
        return cache;
    }

    @Test
    void upgradesAnOldCacheFromTheCachedKernelPackage() throws Exception {
        Toolchain.require("dpkg-deb");
        String version = "9.9.9-jv";
        Path cache = oldCache(version);
        Path root = packageTree(version);
        Files.createDirectories(root.resolve("DEBIAN"));
        Files.writeString(root.resolve("DEBIAN/control"), """
                Package: linux-image-%1$s
                Version: %1$s-1
                Architecture: i386
                Maintainer: jvisor tests <test@example.invalid>
                Description: synthetic kernel package for the cache upgrade test
                """.formatted(version));
        Files.createDirectories(cache.resolve("debs"));
        Path deb = cache.resolve("debs/linux-image-" + version + "_" + version + "-1_i386.deb");
        Toolchain.run(dir, "dpkg-deb", "--root-owner-group", "--build", root.toString(), deb.toString());

        List<String> said = new ArrayList<>();
        GuestFetcher noApt = new GuestFetcher(cache, "/nonexistent/apt-get", "/nonexistent/apt-cache", "dpkg-deb", said::add);
        assertNull(noApt.cached(), "an old cache is not current");
        FetchedGuest g = noApt.fetch();
        assertEquals(EXPECTED_ORDER, g.modules().stream().map(GuestModule::name).toList());
        assertEquals("/lib/modules/9.9.9-jv/kernel/drivers/virtio/virtio_ring.ko", g.modules().get(0).guestPath());
        assertTrue(said.stream().anyMatch(s -> s.contains("taking the kernel modules from")), said.toString());
        assertTrue(Files.isRegularFile(deb), "a package found in the cache is left there");
        String props = Files.readString(cache.resolve("guest/guest.properties"));
        assertTrue(props.contains("moduleRoots=virtio_pci,virtio_blk,virtio_console,virtio-rng,ata_piix,sd_mod"), props);
        assertTrue(props.contains("kernelPackage=linux-image-9.9.9-jv_9.9.9-jv-1_i386"), props);

        // From now on no tool at all.
        GuestFetcher offline = new GuestFetcher(cache, "/nonexistent/apt-get", "/nonexistent/apt-cache",
                "/nonexistent/dpkg-deb", msg -> { });
        assertEquals(g, offline.cached());
        assertEquals(g, offline.fetch());
    }

    @Test
    void anOldCacheThatCannotBeUpgradedBootsWithoutModules() throws Exception {
        Path cache = oldCache("9.9.9-jv");
        List<String> said = new ArrayList<>();
        GuestFetcher offline = new GuestFetcher(cache, "/nonexistent/apt-get", "/nonexistent/apt-cache",
                "/nonexistent/dpkg-deb", said::add);
        FetchedGuest g = offline.fetch();
        assertEquals(List.of(), g.modules());
        assertTrue(Files.isRegularFile(g.kernel()));
        assertEquals(List.of("warning: cannot add the kernel modules to the cached guest, booting without them:"
                + " /nonexistent/dpkg-deb: not found; cannot unpack the kernel modules"), said);
    }

    @Test
    void initramfsCarriesTheModulesAndInitLoadsThemInOrder() throws Exception {
        Path mods = dir.resolve("mods");
        List<GuestModule> list = new ArrayList<>();
        for (String name : EXPECTED_ORDER) {
            String rel = "9.9.9-jv/kernel/" + DEBIAN_DIRS.get(name) + "/" + name + ".ko";
            Path f = mods.resolve(rel);
            Files.createDirectories(f.getParent());
            Files.write(f, SyntheticModule.module(name, DEBIAN_DEPENDS.get(name), "9.9.9-jv"));
            list.add(new GuestModule(name, rel, f));
        }
        Path bb = dir.resolve("busybox");
        Files.write(bb, DefaultGuestTest.fakeBusybox(List.of()));
        Path kernel = dir.resolve("vmlinuz-9.9.9-jv");
        Files.write(kernel, new SyntheticBzImage().build());
        DefaultGuest g = new DefaultGuest(new FetchedGuest(kernel, bb, "k", "b", list));

        byte[] cpio = new GZIPInputStream(new ByteArrayInputStream(g.initramfs())).readAllBytes();
        Map<String, CpioReader.Entry> e = CpioReader.read(cpio).stream()
                .collect(Collectors.toMap(CpioReader.Entry::name, x -> x));
        List<String> load = List.of(e.get(DefaultGuest.MODULE_LIST.substring(1)).text().split("\n"));
        assertEquals(list.stream().map(GuestModule::guestPath).toList(), load);
        for (GuestModule m : list) {
            CpioReader.Entry ko = e.get(m.guestPath().substring(1));
            assertEquals(0100644, ko.mode(), m.guestPath());
            assertTrue(java.util.Arrays.equals(Files.readAllBytes(m.file()), ko.data()), m.guestPath());
        }
        String init = e.get("init").text();
        assertEquals(DefaultGuest.DEFAULT_INIT, init);
        assertTrue(init.startsWith(DefaultGuest.INIT_PROLOGUE));
        String loop = "while read -r m; do [ -f \"$m\" ] && insmod \"$m\" >/dev/null 2>&1; done <" + DefaultGuest.MODULE_LIST;
        assertTrue(DefaultGuest.INIT_PROLOGUE.contains(loop), DefaultGuest.INIT_PROLOGUE);
        assertTrue(DefaultGuest.INIT_PROLOGUE.indexOf(loop) > DefaultGuest.INIT_PROLOGUE.indexOf("mount -t devtmpfs"));
        assertTrue(DefaultGuest.INIT_PROLOGUE.contains("exec </dev/hvc0 >/dev/hvc0 2>&1"));
        assertTrue(init.indexOf("exec </dev/hvc0") < init.indexOf(DefaultGuest.MARKER));

        // A guest without modules still has an (empty) list, so custom inits need not care.
        DefaultGuest plain = new DefaultGuest(new FetchedGuest(kernel, bb, "k", "b"));
        byte[] cpio2 = new GZIPInputStream(new ByteArrayInputStream(plain.initramfs())).readAllBytes();
        assertTrue(CpioReader.read(cpio2).stream().anyMatch(x -> x.name().equals("lib/modules/jvisor.load") && x.data().length == 0));
    }

    @Test
    void theRealDebianModules() throws Exception {
        FetchedGuest g = GuestFetcherTest.fetchOrSkip();
        assertEquals(EXPECTED_ORDER, g.modules().stream().map(GuestModule::name).toList());
        String version = g.kernel().getFileName().toString().substring("vmlinuz-".length());
        // Debian's stable updates change dependencies (6.1.192's virtio.ko needs virtio_ring, 6.1.176's
        // did not), so the real modules are checked against the rule, not against one kernel's table:
        // every dependency is fetched too and loads earlier.
        List<String> loaded = keys(g.modules().stream().map(GuestModule::name).toList());
        for (GuestModule m : g.modules()) {
            ModuleInfo i = ModuleInfo.parse(Files.readAllBytes(m.file()), m.file().toString());
            assertEquals(ModuleInfo.key(m.name()), i.name());
            for (String d : i.depends()) {
                int at = loaded.indexOf(ModuleInfo.key(d));
                assertTrue(at >= 0 && at < loaded.indexOf(i.name()), d + " loads before " + m.name());
            }
            assertTrue(i.vermagic().startsWith(version + " "), i.vermagic());
            assertTrue(m.path().startsWith(version + "/kernel/"), m.path());
            System.out.printf("[modules] %-24s %7d bytes  depends=%s%n", m.name(), Files.size(m.file()),
                    String.join(",", i.depends()));
        }
    }
}
