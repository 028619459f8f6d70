package dev.jvisor.boot;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
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
 * {@code boot/vmlinuz-*} and {@code bin/busybox} are kept, in {@code CACHE/guest}, recorded in
 * {@code CACHE/guest/guest.properties}; once that exists no tool and no network is used again.
 */
public final class GuestFetcher {
    public static final String KERNEL_META_PACKAGE = "linux-image-686";
    public static final String BUSYBOX_PACKAGE = "busybox-static";

    private static final Pattern KERNEL_DEP = Pattern.compile("(?m)^\\s*\\|?Depends:\\s*(linux-image-[0-9][^\\s<>]*-686)\\s*$");
    private static final long UPDATE_TIMEOUT = 900;
    private static final long DOWNLOAD_TIMEOUT = 1800;

    private final Path cache;
    private final String aptGet;
    private final String aptCache;
    private final String dpkgDeb;
    private final Consumer<String> progress;

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

    /** The cached guest if complete, else null; never runs a tool. */
    public FetchedGuest cached() {
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
        return new FetchedGuest(kernel, busybox, p.getProperty("kernelPackage", ""), p.getProperty("busyboxPackage", ""));
    }

    /** Returns the cached guest, downloading it first if needed. */
    public FetchedGuest fetch() throws BootException {
        FetchedGuest g = cached();
        if (g != null) {
            return g;
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
        HostFiles.writeAtomically(guest.resolve(kernelName), kernel.data());
        HostFiles.writeAtomically(guest.resolve("busybox"), busybox.data());

        Properties p = new Properties();
        p.setProperty("kernel", kernelName);
        p.setProperty("busybox", "busybox");
        p.setProperty("kernelPackage", debName(kernelDeb));
        p.setProperty("busyboxPackage", debName(busyboxDeb));
        StringBuilder sb = new StringBuilder("# jvisor default guest, fetched with apt-get download\n");
        p.stringPropertyNames().stream().sorted().forEach(k -> sb.append(k).append('=').append(p.getProperty(k)).append('\n'));
        HostFiles.writeAtomically(guest.resolve("guest.properties"), sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
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
                        return want.test(path);
                    }

                    @Override
                    public boolean accept(String path, int mode, byte[] data) {
                        found[0] = new Extracted(path, data);
                        return false;
                    }
                });
            }
        } catch (IOException | UncheckedIOException e) {
            if (found[0] == null) {
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
        if (found[0] == null) {
            throw new BootException(deb + ": package does not contain the expected file");
        }
        return found[0];
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
