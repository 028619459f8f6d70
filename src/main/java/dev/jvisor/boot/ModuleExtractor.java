package dev.jvisor.boot;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes a set of kernel modules and their dependencies out of a kernel package's file tree
 * ({@code lib/modules/VERSION/kernel/...ko}). Debian's packages ship no modules.dep (depmod runs
 * at install time), so the dependencies come from each module's {@code depends=} field
 * ({@link ModuleInfo}). Two passes over the tar stream: the first reads every module's .modinfo
 * (and drops the rest: all modules together are ~180 MB), the second keeps the modules needed.
 *
 * <p>Only uncompressed {@code .ko} files are taken: Debian's 6.1 kernels ship them so
 * ({@code CONFIG_MODULE_COMPRESS_NONE=y}), and the kernel cannot load compressed ones itself
 * ({@code CONFIG_MODULE_DECOMPRESS} is not set). A package with only {@code .ko.xz}/{@code .ko.zst}
 * modules is reported as unsupported.
 */
public final class ModuleExtractor {
    /** The kernel modules the default guest needs: virtio over PCI (disk, console, entropy) and the PIIX IDE disk. */
    public static final List<String> DEFAULT_ROOTS = List.of(
            "virtio_pci", "virtio_blk", "virtio_console", "virtio-rng", "ata_piix", "sd_mod");

    private static final Pattern MODULE = Pattern.compile("(?:usr/)?lib/modules/([^/]+)/(kernel/.+/([^/]+)\\.ko)");
    private static final Pattern COMPRESSED = Pattern.compile("(?:usr/)?lib/modules/[^/]+/kernel/.+\\.ko\\.(xz|zst|gz)");

    /** A stream of a package's data tar. */
    @FunctionalInterface
    interface TarSource {
        void read(TarReader.Visitor visitor) throws BootException;
    }

    /** One module taken out: name, path below lib/modules (VERSION/kernel/...), contents. */
    public record Module(String name, String path, byte[] data) {}

    /** The kernel version (the lib/modules directory) and the modules in load order. */
    public record Result(String version, List<Module> modules) {}

    private ModuleExtractor() {}

    static Result extract(TarSource tar, List<String> roots, String source) throws BootException {
        Map<String, List<String>> depends = new HashMap<>();
        Map<String, String> pathOf = new HashMap<>();
        Map<String, String> nameOf = new HashMap<>();
        Map<String, String> relOf = new HashMap<>();
        TreeSet<String> versions = new TreeSet<>();
        int[] compressed = new int[1];
        BootException[] bad = new BootException[1];
        tar.read(new TarReader.Visitor() {
            @Override
            public boolean wants(String path) {
                if (COMPRESSED.matcher(path).matches()) {
                    compressed[0]++;
                }
                return MODULE.matcher(path).matches();
            }

            @Override
            public boolean accept(String path, int mode, byte[] data) {
                Matcher m = MODULE.matcher(path);
                m.matches();
                try {
                    ModuleInfo info = ModuleInfo.parse(data, source + ": " + path);
                    String name = m.group(3);
                    String key = ModuleInfo.key(name);
                    versions.add(m.group(1));
                    depends.put(key, info.depends());
                    pathOf.put(key, path);
                    nameOf.put(key, name);
                    relOf.put(key, m.group(1) + "/" + m.group(2));
                    String vm = info.vermagic();
                    if (vm != null && !vm.startsWith(m.group(1) + " ")) {
                        throw new BootException(source + ": " + path + ": built for " + vm.split(" ")[0]
                                + ", not " + m.group(1));
                    }
                } catch (BootException e) {
                    bad[0] = e;
                    return false;
                }
                return true;
            }
        });
        if (bad[0] != null) {
            throw bad[0];
        }
        if (versions.isEmpty()) {
            throw new BootException(source + (compressed[0] > 0
                    ? ": has only compressed kernel modules (.ko.xz/.ko.zst), which jvisor does not unpack"
                    : ": contains no kernel modules (lib/modules/VERSION/kernel/*.ko)"));
        }
        if (versions.size() > 1) {
            throw new BootException(source + ": modules for more than one kernel: " + versions);
        }
        List<String> order = ModuleLoadOrder.resolve(roots, depends, source);

        Map<String, String> wanted = new LinkedHashMap<>();
        for (String k : order) {
            wanted.put(pathOf.get(k), k);
        }
        Map<String, byte[]> data = new HashMap<>();
        tar.read(new TarReader.Visitor() {
            @Override
            public boolean wants(String path) {
                return wanted.containsKey(path);
            }

            @Override
            public boolean accept(String path, int mode, byte[] bytes) {
                data.put(wanted.get(path), bytes);
                return data.size() < wanted.size();
            }
        });
        String version = versions.first();
        List<Module> out = new ArrayList<>();
        for (String k : order) {
            byte[] b = data.get(k);
            if (b == null) {
                throw new BootException(source + ": " + pathOf.get(k) + ": vanished on the second read");
            }
            out.add(new Module(nameOf.get(k), relOf.get(k), b));
        }
        return new Result(version, out);
    }

    /** Reads a tar stream (e.g. a test archive) as a {@link TarSource}. */
    static TarSource of(IoSupplier supplier, String source) {
        return v -> {
            try (var in = supplier.open()) {
                TarReader.read(in, v);
            } catch (IOException e) {
                throw new BootException(source + ": cannot read: " + e.getMessage());
            }
        };
    }

    /** Opens an input stream. */
    @FunctionalInterface
    interface IoSupplier {
        java.io.InputStream open() throws IOException;
    }
}
