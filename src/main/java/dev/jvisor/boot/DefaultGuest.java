package dev.jvisor.boot;

import dev.jvisor.bus.GuestMemory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The default guest: Debian's i386 {@code linux-image-686} kernel with an initramfs built here
 * around Debian's {@code busybox-static}. The initramfs holds /bin/busybox, a symlink in /bin
 * for every applet, the standard device nodes, empty mount points and an /init script.
 */
public final class DefaultGuest {
    /**
     * Default kernel command line: console and early console on COM1; legacy PCI config
     * mechanism 1; no IO-APIC/local APIC (8259 PIC and PIT only); no ACPI; no PS/2 mouse probe;
     * trust the TSC (no clocksource watchdog); reboot at once on panic (the VM exits instead of
     * hanging). Not "quiet": boot messages are the first diagnostic of a young hypervisor.
     */
    public static final String DEFAULT_CMDLINE = "console=ttyS0,115200 earlyprintk=serial,ttyS0,115200 pci=conf1"
            + " noapic nolapic acpi=off i8042.noaux tsc=reliable panic=-1";

    /** Default guest RAM. */
    public static final long DEFAULT_MEMORY = 256L << 20;

    /** Printed on the console by the default /init once userspace runs. */
    public static final String MARKER = "jvisor: userspace up";

    /** Common start of every /init: PATH and the kernel file systems (static /dev as fallback). */
    public static final String INIT_PROLOGUE = """
            #!/bin/busybox sh
            export PATH=/bin:/sbin:/usr/bin:/usr/sbin
            export HOME=/root
            mount -t proc proc /proc
            mount -t sysfs sysfs /sys
            mount -t devtmpfs devtmpfs /dev 2>/dev/null || echo "jvisor: no devtmpfs, using the static /dev nodes"
            """;

    /**
     * The default /init: print the marker, run an interactive shell with the console as its
     * controlling terminal (so ^C works), and power off when that shell exits.
     */
    public static final String DEFAULT_INIT = INIT_PROLOGUE + """
            echo "%s" >/dev/console
            setsid cttyhack sh
            echo "jvisor: shell exited, powering off" >/dev/console
            poweroff -f
            """.formatted(MARKER);

    private static final List<String> DIRS = List.of(
            "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/etc", "/proc", "/sys", "/dev", "/tmp", "/root", "/mnt",
            "/run", "/var");

    private final FetchedGuest files;
    private final byte[] busybox;
    private final List<String> applets;

    public DefaultGuest(FetchedGuest files) throws BootException {
        this.files = files;
        this.busybox = HostFiles.read(files.busybox());
        if (!ElfImage.isElf(busybox)) {
            throw new BootException(files.busybox() + ": not an ELF executable");
        }
        this.applets = BusyboxApplets.of(busybox);
    }

    /** Fetches (first use) or opens (later) the default guest in the user's cache. */
    public static DefaultGuest open() throws BootException {
        return new DefaultGuest(new GuestFetcher().fetch());
    }

    public static DefaultGuest open(GuestFetcher fetcher) throws BootException {
        return new DefaultGuest(fetcher.fetch());
    }

    public Path kernel() {
        return files.kernel();
    }

    public FetchedGuest files() {
        return files;
    }

    /** The busybox applets linked into /bin. */
    public List<String> applets() {
        return applets;
    }

    /** The default initramfs (gzip-compressed cpio). */
    public byte[] initramfs() {
        return initramfs(DEFAULT_INIT, Map.of());
    }

    /**
     * An initramfs with a custom /init script (it should start with "#!/bin/busybox sh"; see
     * {@link #INIT_PROLOGUE}) and extra files (absolute guest path to contents; a file is made
     * executable if it starts with "#!" or is an ELF file). Extra files may replace defaults.
     */
    public byte[] initramfs(String initScript, Map<String, byte[]> extraFiles) {
        Initramfs fs = new Initramfs();
        for (String d : DIRS) {
            fs.directory(d, 0755);
        }
        fs.directory("/tmp", 01777);
        fs.directory("/root", 0700);
        fs.standardDevices();
        fs.file("/bin/busybox", 0755, busybox);
        for (String a : applets) {
            fs.symlink("/bin/" + a, "busybox");
        }
        fs.file("/etc/hostname", 0644, "jvisor\n".getBytes(StandardCharsets.UTF_8));
        fs.file("/init", 0755, initScript.getBytes(StandardCharsets.UTF_8));
        for (Map.Entry<String, byte[]> e : new TreeMap<>(extraFiles).entrySet()) {
            byte[] data = e.getValue();
            boolean exec = (data.length >= 2 && data[0] == '#' && data[1] == '!') || ElfImage.isElf(data);
            fs.file(e.getKey(), exec ? 0755 : 0644, data);
        }
        return fs.gzip();
    }

    /**
     * Writes the default initramfs to CACHE/guest/initramfs.cpio.gz (rewritten only when its
     * contents change) for tools that want a file, e.g. {@code --initrd}.
     */
    public Path initramfsFile() throws BootException {
        Path f = files.kernel().resolveSibling("initramfs.cpio.gz");
        byte[] img = initramfs();
        try {
            if (!Files.isRegularFile(f) || !Arrays.equals(Files.readAllBytes(f), img)) {
                HostFiles.writeAtomically(f, img);
            }
        } catch (IOException e) {
            throw new BootException(f + ": cannot write: " + e.getMessage());
        }
        return f;
    }

    /** Loads the default kernel and initramfs with the given command line (null: the default). */
    public BootEntry load(GuestMemory mem, String cmdline) throws BootException {
        return LinuxLoader.load(mem, kernel(), initramfs(), cmdline == null ? DEFAULT_CMDLINE : cmdline);
    }

    /** Loads the default kernel with a custom initramfs image (e.g. from {@link #initramfs(String, Map)}). */
    public BootEntry load(GuestMemory mem, byte[] initramfs, String cmdline) throws BootException {
        return LinuxLoader.load(mem, kernel(), initramfs, cmdline == null ? DEFAULT_CMDLINE : cmdline);
    }
}
