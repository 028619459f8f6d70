package dev.jvisor.boot;

import dev.jvisor.bus.GuestMemory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The default guest: Debian's i386 {@code linux-image-686} kernel with an initramfs built here
 * around Debian's {@code busybox-static}. The initramfs holds /bin/busybox, a symlink in /bin
 * for every applet, the standard device nodes, empty mount points, the kernel's virtio and IDE
 * modules under /lib/modules/VERSION with their load list {@link #MODULE_LIST}, and an /init
 * script.
 */
public final class DefaultGuest {
    /**
     * Default kernel command line: console and early console on COM1; legacy PCI config
     * mechanism 1 and no MSI (without a local APIC there is no MSI irq domain: on a machine that
     * offers MSI-X, as QEMU's virtio-pci does, virtio_pci would WARN in pci_msi_setup_msi_irqs
     * before falling back to INTx); no I/O APIC ({@code noapic}: the 8259 PIC carries every device IRQ; the
     * --pv machine's local APIC passes it on LINT0 as a virtual wire, and gives the timer; the legacy PC
     * has no local APIC, which CPUID says, so no {@code nolapic} is needed); no ACPI; no
     * PS/2 mouse probe; trust the TSC (no clocksource watchdog); reboot at once on panic (the VM exits instead of
     * hanging); skip the crypto self-tests and the ISA PnP scan (measured with initcall_debug, they
     * are 3.1 s and 0.35 s of the 4.4 s the kernel needs to reach /init: 80% of an interpreted boot).
     * Not "quiet": boot messages are the first diagnostic of a young hypervisor.
     */
    public static final String DEFAULT_CMDLINE = "console=ttyS0,115200 earlyprintk=serial,ttyS0,115200 pci=conf1,nomsi"
            + " noapic acpi=off i8042.noaux tsc=reliable panic=-1 cryptomgr.notests noisapnp";

    /** Default guest RAM. */
    public static final long DEFAULT_MEMORY = 256L << 20;

    /** Printed on the console by the default /init once userspace runs. */
    public static final String MARKER = "jvisor: userspace up";

    /** The module load list in the initramfs: guest paths of the kernel modules, in load order. */
    public static final String MODULE_LIST = "/lib/modules/jvisor.load";

    /**
     * Common start of every /init: PATH and the kernel file systems (static /dev as fallback);
     * the kernel modules of {@link #MODULE_LIST} loaded in order with busybox insmod (quietly: a
     * missing file or a failed load prints nothing; without their devices the drivers simply
     * bind to nothing); then, if the command line has {@code console=hvc0}, standard input and
     * output move to /dev/hvc0 once it opens (its port shows up asynchronously after
     * virtio_console loads: up to 2 s). {@code JVISOR_CONSOLE} names the console in use.
     */
    public static final String INIT_PROLOGUE = """
            #!/bin/busybox sh
            export PATH=/bin:/sbin:/usr/bin:/usr/sbin
            export HOME=/root
            mount -t proc proc /proc
            mount -t sysfs sysfs /sys
            mount -t devtmpfs devtmpfs /dev 2>/dev/null || echo "jvisor: no devtmpfs, using the static /dev nodes"
            if [ -r %1$s ]; then
                while read -r m; do [ -f "$m" ] && insmod "$m" >/dev/null 2>&1; done <%1$s
            fi
            JVISOR_CONSOLE=/dev/console
            if grep -qw console=hvc0 /proc/cmdline; then
                i=0
                while [ $i -lt 20 ] && ! (: </dev/hvc0) 2>/dev/null; do sleep 0.1; i=$((i+1)); done
                if (: </dev/hvc0) 2>/dev/null; then
                    JVISOR_CONSOLE=/dev/hvc0
                    exec </dev/hvc0 >/dev/hvc0 2>&1
                fi
            fi
            export JVISOR_CONSOLE
            """.formatted(MODULE_LIST);

    /**
     * The default /init: print the marker on the console in use, run an interactive shell with
     * that console as its controlling terminal (so ^C works; on the serial console cttyhack finds
     * the tty behind /dev/console, on hvc0 the session leader opens it), and power off when that
     * shell exits.
     */
    public static final String DEFAULT_INIT = INIT_PROLOGUE + """
            echo "%s" >$JVISOR_CONSOLE
            if [ $JVISOR_CONSOLE = /dev/hvc0 ]; then
                setsid sh -c 'exec sh </dev/hvc0 >/dev/hvc0 2>&1'
            else
                setsid cttyhack sh
            fi
            echo "jvisor: shell exited, powering off" >$JVISOR_CONSOLE
            poweroff -f
            """.formatted(MARKER);

    private static final List<String> DIRS = List.of(
            "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/etc", "/proc", "/sys", "/dev", "/tmp", "/root", "/mnt",
            "/run", "/var");

    private final FetchedGuest files;
    private final byte[] busybox;
    private final List<String> applets;
    private final Map<String, byte[]> modules = new LinkedHashMap<>();

    public DefaultGuest(FetchedGuest files) throws BootException {
        this.files = files;
        this.busybox = HostFiles.read(files.busybox());
        if (!ElfImage.isElf(busybox)) {
            throw new BootException(files.busybox() + ": not an ELF executable");
        }
        this.applets = BusyboxApplets.of(busybox);
        for (GuestModule m : files.modules()) {
            byte[] ko = HostFiles.read(m.file());
            if (!ElfImage.isElf(ko)) {
                throw new BootException(m.file() + ": not an ELF kernel module");
            }
            modules.put(m.guestPath(), ko);
        }
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
        StringBuilder load = new StringBuilder();
        for (Map.Entry<String, byte[]> m : modules.entrySet()) {
            fs.file(m.getKey(), 0644, m.getValue());
            load.append(m.getKey()).append('\n');
        }
        fs.file(MODULE_LIST, 0644, load.toString().getBytes(StandardCharsets.UTF_8));
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
        return load(mem, cmdline, false);
    }

    /** As {@link #load(GuestMemory, String)}; {@code guestDecompress}: the bzImage unpacks itself in the guest. */
    public BootEntry load(GuestMemory mem, String cmdline, boolean guestDecompress) throws BootException {
        return LinuxLoader.load(mem, kernel(), initramfs(), cmdline == null ? DEFAULT_CMDLINE : cmdline, guestDecompress);
    }

    /** Loads the default kernel with a custom initramfs image (e.g. from {@link #initramfs(String, Map)}). */
    public BootEntry load(GuestMemory mem, byte[] initramfs, String cmdline) throws BootException {
        return LinuxLoader.load(mem, kernel(), initramfs, cmdline == null ? DEFAULT_CMDLINE : cmdline);
    }
}
