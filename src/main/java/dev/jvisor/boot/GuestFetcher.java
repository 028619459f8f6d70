package dev.jvisor.boot;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fetches the default guest from Debian on first use: {@code linux-image-686} (resolved to the
 * versioned {@code linux-image-6.1.0-NN-686}) and {@code busybox-static}, both i386, with
 * {@code apt-get download} - as any user and without touching the system's apt state: apt runs
 * with a private state and cache under {@code CACHE/apt} (empty dpkg status, own package lists,
 * no locking) and the system's sources.list as is. From the packages only
 * {@code boot/vmlinuz-*}, {@code bin/busybox} and the kernel modules of
 * {@link ModuleExtractor#DEFAULT_ROOTS} with their dependencies (in {@code CACHE/guest/modules})
 * are kept, in {@code CACHE/guest}, recorded in {@code CACHE/guest/guest.properties}; once that
 * exists no tool and no network is used again.
 */
public final class GuestFetcher {
    public static final String KERNEL_META_PACKAGE = "linux-image-686";
    public static final String BUSYBOX_PACKAGE = "busybox-static";

    private static final Pattern KERNEL_DEP = Pattern.compile("(?m)^\\s*\\|?Depends:\\s*(linux-image-[0-9][^\\s<>]*-686)\\s*$");
    /** A .deb base name as recorded in guest.properties: package_version_arch (epoch colon kept). */
    private static final Pattern DEB_NAME = Pattern.compile("([a-z0-9][a-z0-9.+-]*)_([^_]+)_([a-z0-9]+)");
    private static final long UPDATE_TIMEOUT = 900;
    private static final long DOWNLOAD_TIMEOUT = 1800;

    private final Path cache;
    private final String aptGet;
    private final String aptCache;
    private final String dpkgDeb;
    private final Consumer<String> progress;
    private final List<String> moduleRoots = ModuleExtractor.DEFAULT_ROOTS;

    /** A fetcher for the user's cache ({@link CacheDir}), reporting progress on stderr. */
    public GuestFetcher() {
        this(CacheDir.resolve(), msg -> System.err.println("jvisor: " + msg));
    }

    public GuestFetcher(Path cacheDir, Consumer<String> progress) {
        this(cacheDir, "apt-get", "apt-cache", "dpkg-deb", progress);
    }

    /** With explicit tool names or paths (tests use this to prove the cache needs no tools). */
    GuestFetcher(Path cacheDir, String aptGet, String aptCache, String dpkgDeb, Consumer<String> progress) {
        this.cache = cacheDir;
        this.aptGet = aptGet;
        this.aptCache = aptCache;
        this.dpkgDeb = dpkgDeb;
        this.progress = progress;
    }

    public Path cacheDir() {
        return cache;
    }

    /** The cached guest if complete (kernel, busybox and the current module set), else null; never runs a tool. */
    public FetchedGuest cached() {
        Cached c = readCache();
        return c != null && c.modulesCurrent() ? c.guest() : null;
    }

    /** What the cache holds: the guest, its properties, and whether its modules are the current set. */
    private record Cached(FetchedGuest guest, Properties props, boolean modulesCurrent) {}

    private Cached readCache() {
        Path props = cache.resolve("guest").resolve("guest.properties");
        if (!Files.isRegularFile(props)) {
            return null;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(props)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
        String k = p.getProperty("kernel");
        String b = p.getProperty("busybox");
        if (k == null || b == null) {
            return null;
        }
        Path kernel = props.resolveSibling(k);
        Path busybox = props.resolveSibling(b);
        if (!Files.isRegularFile(kernel) || !Files.isRegularFile(busybox)) {
            return null;
        }
        List<GuestModule> modules = new ArrayList<>();
        boolean current = String.join(",", moduleRoots).equals(p.getProperty("moduleRoots"));
        String list = p.getProperty("modules", "");
        for (String rel : list.isEmpty() ? new String[0] : list.split(",")) {
            Path f = props.resolveSibling("modules").resolve(rel);
            if (rel.contains("..") || !Files.isRegularFile(f)) {
                current = false;
                break;
            }
            String n = f.getFileName().toString();
            modules.add(new GuestModule(n.substring(0, n.length() - ".ko".length()), rel, f));
        }
        FetchedGuest g = new FetchedGuest(kernel, busybox, p.getProperty("kernelPackage", ""),
                p.getProperty("busyboxPackage", ""), current ? modules : List.of());
        return new Cached(g, p, current);
    }

    /**
     * Returns the cached guest, downloading it first if needed. A cache from before the kernel
     * modules (or holding another module set) is upgraded: the modules are taken from the kernel
     * package in CACHE/debs if it is there, else that exact package version is downloaded again.
     * If that fails, the cached guest is used without modules and a warning is reported.
     */
    public FetchedGuest fetch() throws BootException {
        Cached c = readCache();
        if (c != null && c.modulesCurrent()) {
            return c.guest();
        }
        if (c != null) {
            try {
                return upgrade(c);
            } catch (BootException e) {
                progress.accept("warning: cannot add the kernel modules to the cached guest, booting without them: "
                        + e.getMessage());
                return c.guest();
            }
        }
        for (String tool : List.of(aptGet, aptCache, dpkgDeb)) {
            if (!ExternalCommand.available(tool)) {
                throw new BootException(tool + ": not found; cannot fetch the default Debian guest"
                        + " (install apt and dpkg, or pass --kernel and --initrd)");
            }
        }
        Path apt = cache.resolve("apt");
        Path debs = cache.resolve("debs");
        Path guest = cache.resolve("guest");
        try {
            Files.createDirectories(apt.resolve("lists").resolve("partial"));
            Files.createDirectories(apt.resolve("cache").resolve("archives").resolve("partial"));
            Files.createDirectories(debs);
            Files.createDirectories(guest);
            if (!Files.exists(apt.resolve("status"))) {
                Files.createFile(apt.resolve("status"));
            }
        } catch (IOException e) {
            throw new BootException(cache + ": cannot create the cache directory: " + e.getMessage());
        }

        String kernelPackage = resolveKernelPackage(apt);
        progress.accept("downloading " + kernelPackage + " and " + BUSYBOX_PACKAGE + " (i386) into " + cache);
        clean(debs);
        ExternalCommand.Result dl = ExternalCommand.run(debs, DOWNLOAD_TIMEOUT,
                aptCommand(aptGet, apt, "download", kernelPackage, BUSYBOX_PACKAGE));
        if (dl.exitCode() != 0) {
            throw new BootException("apt-get download " + kernelPackage + " " + BUSYBOX_PACKAGE + " failed: "
                    + dl.lastError());
        }
        Path kernelDeb = findDeb(debs, kernelPackage);
        Path busyboxDeb = findDeb(debs, BUSYBOX_PACKAGE);

        Extracted kernel = extract(kernelDeb, path -> path.startsWith("boot/vmlinuz-") && path.indexOf('/', 5) < 0);
        Extracted busybox = extract(busyboxDeb, path -> path.equals("bin/busybox") || path.equals("usr/bin/busybox"));
        String kernelName = kernel.path().substring("boot/".length());
        Properties p = new Properties();
        p.setProperty("kernel", kernelName);
        p.setProperty("busybox", "busybox");
        p.setProperty("kernelPackage", debName(kernelDeb));
        p.setProperty("busyboxPackage", debName(busyboxDeb));
        ModuleExtractor.Result modules = extractModules(kernelDeb, kernelName);
        HostFiles.writeAtomically(guest.resolve(kernelName), kernel.data());
        HostFiles.writeAtomically(guest.resolve("busybox"), busybox.data());
        writeModules(guest, modules, p);
        writeProperties(guest, p);
        clean(debs);
        FetchedGuest g2 = cached();
        if (g2 == null) {
            throw new BootException(guest + ": fetched guest is incomplete");
        }
        progress.accept("default guest ready: " + g2.kernel().getFileName() + ", busybox " + g2.busyboxPackage());
        return g2;
    }

    /** Resolves the meta package via apt-cache depends, updating the private lists if needed. */
    private String resolveKernelPackage(Path apt) throws BootException {
        String pkg = hasLists(apt) ? dependency(apt) : null;
        if (pkg != null) {
            return pkg;
        }
        progress.accept("updating private apt package lists (i386) in " + apt);
        ExternalCommand.Result up = ExternalCommand.run(cache, UPDATE_TIMEOUT, aptCommand(aptGet, apt, "update"));
        pkg = dependency(apt);
        if (pkg == null) {
            throw new BootException("apt-get update: cannot resolve " + KERNEL_META_PACKAGE + " for i386: "
                    + (up.exitCode() != 0 ? up.lastError() : "no such package in the configured sources"));
        }
        return pkg;
    }

    private String dependency(Path apt) throws BootException {
        ExternalCommand.Result r = ExternalCommand.run(cache, 120, aptCommand(aptCache, apt, "depends", KERNEL_META_PACKAGE));
        if (r.exitCode() != 0) {
            return null;
        }
        Matcher m = KERNEL_DEP.matcher(r.output());
        return m.find() ? m.group(1) : null;
    }

    private static boolean hasLists(Path apt) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(apt.resolve("lists"), "*_Packages*")) {
            return ds.iterator().hasNext();
        } catch (IOException e) {
            return false;
        }
    }

    /** The private-state apt options. */
    List<String> aptCommand(String tool, Path apt, String... args) {
        List<String> cmd = new ArrayList<>(List.of(tool,
                "-o", "APT::Architecture=i386",
                "-o", "APT::Architectures=i386",
                "-o", "Dir::State::Lists=" + apt.resolve("lists").toAbsolutePath(),
                "-o", "Dir::State::Status=" + apt.resolve("status").toAbsolutePath(),
                "-o", "Dir::Cache=" + apt.resolve("cache").toAbsolutePath(),
                "-o", "Debug::NoLocking=1",
                "-o", "Acquire::Languages=none",
                "-q"));
        if ("root".equals(System.getProperty("user.name"))) {
            // as root apt would hand downloads to the _apt user, who cannot write into our cache
            cmd.addAll(List.of("-o", "APT::Sandbox::User=root"));
        }
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static Path findDeb(Path debs, String pkg) throws BootException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(debs, pkg + "_*.deb")) {
            for (Path p : ds) {
                return p;
            }
        } catch (IOException e) {
            throw new BootException(debs + ": cannot list: " + e.getMessage());
        }
        throw new BootException("apt-get download: " + pkg + " was not downloaded into " + debs);
    }

    private static String debName(Path deb) {
        String n = deb.getFileName().toString();
        return n.substring(0, n.length() - ".deb".length()).replace("%3a", ":");
    }

    private record Extracted(String path, byte[] data) {}

    /** Streams the package's data tar from dpkg-deb and keeps the first file matching. */
    private Extracted extract(Path deb, java.util.function.Predicate<String> want) throws BootException {
        Extracted[] found = new Extracted[1];
        packageTar(deb).read(new TarReader.Visitor() {
            @Override
            public boolean wants(String path) {
                return want.test(path);
            }

            @Override
            public boolean accept(String path, int mode, byte[] data) {
                found[0] = new Extracted(path, data);
                return false;
            }
        });
        if (found[0] == null) {
            throw new BootException(deb + ": package does not contain the expected file");
        }
        return found[0];
    }

    /**
     * The package's data tar, streamed from {@code dpkg-deb --fsys-tarfile} on every read. A read
     * the visitor stops early ends dpkg-deb; errors after that (a broken pipe) are not errors.
     */
    ModuleExtractor.TarSource packageTar(Path deb) {
        return visitor -> {
            boolean[] stopped = new boolean[1];
            Process p = null;
            try {
                ProcessBuilder pb = new ProcessBuilder(dpkgDeb, "--fsys-tarfile", deb.toString())
                        .redirectError(ProcessBuilder.Redirect.DISCARD);
                pb.environment().put("LC_ALL", "C");
                p = pb.start();
                p.getOutputStream().close();
                try (InputStream in = p.getInputStream()) {
                    TarReader.read(in, new TarReader.Visitor() {
                        @Override
                        public boolean wants(String path) {
                            return visitor.wants(path);
                        }

                        @Override
                        public boolean accept(String path, int mode, byte[] data) {
                            stopped[0] = !visitor.accept(path, mode, data);
                            return !stopped[0];
                        }
                    });
                }
            } catch (IOException | UncheckedIOException e) {
                if (!stopped[0]) {
                    throw new BootException(deb + ": cannot extract with dpkg-deb: " + e.getMessage());
                }
            } finally {
                if (p != null) {
                    p.destroy();
                    try {
                        p.waitFor(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
    }

    /** The module set from the kernel package; its version must be the kernel's ("vmlinuz-VERSION"). */
    private ModuleExtractor.Result extractModules(Path kernelDeb, String kernelName) throws BootException {
        ModuleExtractor.Result r = ModuleExtractor.extract(packageTar(kernelDeb), moduleRoots, kernelDeb.toString());
        if (!kernelName.equals("vmlinuz-" + r.version())) {
            throw new BootException(kernelDeb + ": modules are for " + r.version() + ", the cached kernel is "
                    + kernelName);
        }
        return r;
    }

    /** Writes the modules to CACHE/guest/modules (replacing older ones) and lists them in the properties. */
    private void writeModules(Path guest, ModuleExtractor.Result r, Properties p) throws BootException {
        Path dir = guest.resolve("modules");
        HostFiles.deleteTree(dir);
        List<String> rels = new ArrayList<>();
        for (ModuleExtractor.Module m : r.modules()) {
            Path f = dir.resolve(m.path());
            try {
                Files.createDirectories(f.getParent());
            } catch (IOException e) {
                throw new BootException(f.getParent() + ": cannot create: " + e.getMessage());
            }
            HostFiles.writeAtomically(f, m.data());
            rels.add(m.path());
        }
        p.setProperty("modules", String.join(",", rels));
        p.setProperty("moduleRoots", String.join(",", moduleRoots));
    }

    private static void writeProperties(Path guest, Properties p) throws BootException {
        StringBuilder sb = new StringBuilder("# jvisor default guest, fetched with apt-get download\n");
        sb.append("# modules: kernel modules below modules/, in load order\n");
        p.stringPropertyNames().stream().sorted().forEach(k -> sb.append(k).append('=').append(p.getProperty(k)).append('\n'));
        HostFiles.writeAtomically(guest.resolve("guest.properties"), sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Adds the current module set to a cached guest: from the cached kernel package in
     * CACHE/debs if present, else from that exact package version downloaded again.
     */
    private FetchedGuest upgrade(Cached c) throws BootException {
        String pkg = c.props().getProperty("kernelPackage", "");
        String kernelName = c.guest().kernel().getFileName().toString();
        Matcher m = DEB_NAME.matcher(pkg);
        if (!m.matches()) {
            throw new BootException(c.guest().kernel().resolveSibling("guest.properties")
                    + ": no kernelPackage recorded; delete the cache to fetch the guest again");
        }
        if (!ExternalCommand.available(dpkgDeb)) {
            throw new BootException(dpkgDeb + ": not found; cannot unpack the kernel modules");
        }
        Path debs = cache.resolve("debs");
        Path deb = debs.resolve(pkg.replace(":", "%3a") + ".deb");
        boolean downloaded = false;
        if (!Files.isRegularFile(deb)) {
            for (String tool : List.of(aptGet, aptCache)) {
                if (!ExternalCommand.available(tool)) {
                    throw new BootException(tool + ": not found; cannot download " + pkg + " for its kernel modules");
                }
            }
            Path apt = cache.resolve("apt");
            try {
                Files.createDirectories(debs);
            } catch (IOException e) {
                throw new BootException(debs + ": cannot create: " + e.getMessage());
            }
            if (!hasLists(apt)) {
                ExternalCommand.run(cache, UPDATE_TIMEOUT, aptCommand(aptGet, apt, "update"));
            }
            progress.accept("downloading " + m.group(1) + " " + m.group(2) + " again for its kernel modules");
            ExternalCommand.Result dl = ExternalCommand.run(debs, DOWNLOAD_TIMEOUT,
                    aptCommand(aptGet, apt, "download", m.group(1) + "=" + m.group(2)));
            if (dl.exitCode() != 0 || !Files.isRegularFile(deb)) {
                throw new BootException("apt-get download " + m.group(1) + "=" + m.group(2) + " failed: "
                        + dl.lastError());
            }
            downloaded = true;
        } else {
            progress.accept("taking the kernel modules from " + deb);
        }
        ModuleExtractor.Result modules = extractModules(deb, kernelName);
        Path guest = cache.resolve("guest");
        Properties p = new Properties();
        p.putAll(c.props());
        writeModules(guest, modules, p);
        writeProperties(guest, p);
        if (downloaded) {
            clean(debs);
        }
        FetchedGuest g = cached();
        if (g == null) {
            throw new BootException(guest + ": cached guest is incomplete after adding the modules");
        }
        progress.accept("kernel modules added to the cached guest: " + g.modules().size());
        return g;
    }

    private static void clean(Path debs) throws BootException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(debs, "*.deb")) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new BootException(debs + ": cannot clean: " + e.getMessage());
        }
    }
}
