package dev.jvisor.cli;

import dev.jvisor.boot.BootException;
import dev.jvisor.machine.MachineConfig;
import dev.jvisor.machine.PcMachine;
import dev.jvisor.vmm.Vm;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The jvisor command line, with QEMU-like option names. */
@Command(name = "jvisor", mixinStandardHelpOptions = true, version = "jvisor 0.1",
        description = "A hypervisor in pure Java.", subcommands = {Main.Run.class, Guest.class, Bench.class, Train.class})
public final class Main implements Callable<Integer> {

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.err);
        return 1;
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /**
     * Runs the command line. A subcommand named first is given to picocli alone: picocli builds the model
     * of every command it is given from their annotations, by reflection, and on a JVM that has just
     * started that took ~0.1 s of a 3.4 s boot for the four commands (async-profiler, session 15).
     */
    static int execute(String... args) {
        Object sub = args.length == 0 ? null : switch (args[0]) {
            case "run" -> new Run();
            case "guest" -> new Guest();
            case "bench" -> new Bench();
            case "train" -> new Train();
            default -> null;
        };
        String[] rest = sub == null ? args : java.util.Arrays.copyOfRange(args, 1, args.length);
        if (sub instanceof Run) {
            Run run = Run.parse(rest);
            if (run != null) {
                return run.call();
            }
        }
        CommandLine cl = sub == null ? new CommandLine(new Main()) : new CommandLine(sub).setCommandName("jvisor " + args[0]);
        cl.setParameterExceptionHandler((ex, a) -> {
            System.err.println("jvisor: " + ex.getMessage());
            return 1;
        });
        return cl.execute(rest);
    }

    /** Parses sizes like 256M, 1G, 65536K or a plain number of MiB. */
    static long parseSize(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        long mult = 1L << 20;
        if (t.endsWith("G")) {
            mult = 1L << 30;
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("M")) {
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("K")) {
            mult = 1L << 10;
            t = t.substring(0, t.length() - 1);
        }
        try {
            return Long.parseLong(t) * mult;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad memory size '" + s + "'");
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = "Boot a guest (default: Debian i386 Linux with a busybox shell).")
    static final class Run implements Callable<Integer> {
        @Option(names = "--kernel", paramLabel = "FILE", description = "bzImage, ELF vmlinux or multiboot kernel")
        Path kernel;
        @Option(names = "--initrd", paramLabel = "FILE", description = "initrd (without --kernel: replaces the default guest's initramfs); for multiboot: modules \"file args,file2\"")
        String initrd;
        @Option(names = "--append", paramLabel = "CMDLINE", description = "kernel command line")
        String append;
        @Option(names = {"--mem", "-m"}, paramLabel = "SIZE", description = "guest RAM (default 256M)")
        String mem = "256M";
        @Option(names = "--accel", paramLabel = "ENGINE", description = "execution engine: interp (default) or bt (binary translator)")
        String accel = "interp";
        @Option(names = "--icount", description = "deterministic virtual time (one instruction = 1 ns)")
        boolean icount;
        @Option(names = "--serial", paramLabel = "DEV", description = "COM1: stdio, none or file:PATH (default stdio)")
        String serial = "stdio";
        @Option(names = "--stats", description = "print VM exits by reason and port at the end")
        boolean stats;
        @Option(names = "--stats-json", paramLabel = "FILE", description = "write the exit statistics as JSON")
        Path statsJson;
        @Option(names = "--timeout", paramLabel = "SECONDS", description = "stop the guest after this many seconds (status 3)")
        Double timeout;
        @Option(names = "--no-reboot", description = "exit instead of rebooting when the guest resets")
        boolean noReboot;
        @Option(names = "--pv", description = "para-virtualization: KVM interface (kvmclock, hypercalls, PV EOI), local APIC (TSC-deadline timer), virtio console and rng")
        boolean pv;
        @Option(names = "--invtsc", description = "with --pv: advertise the invariant TSC (CPUID 0x80000007, QEMU's +invtsc); Linux then prefers the TSC to kvm-clock as clocksource")
        boolean invtsc;
        @Option(names = "--rtc-base", paramLabel = "DATETIME", description = "RTC time at power-on, UTC (e.g. 2026-01-31T12:00:00; default: the host's clock)")
        String rtcBase;
        @Option(names = "--guest-decompress", description = "run a bzImage's own decompressor in the guest (default: unpack the kernel on the host)")
        boolean guestDecompress;
        @Option(names = "--profile", paramLabel = "FILE", description = "sample the guest EIP every 100 us and write a profile (bench/guest_profile.py folds it by symbol)")
        Path profile;
        @Option(names = "--profile-stacks", description = "with --profile: also record kernel call stacks (frame-pointer chain)")
        boolean profileStacks;
        @Option(names = "--drive", paramLabel = "SPEC", description = "disk: file=PATH[,if=ide|virtio][,format=raw][,readonly=on]")
        java.util.List<String> drives = new java.util.ArrayList<>();

        /**
         * The run command's options parsed without picocli, or null for anything but options with their
         * values (help, an unknown or malformed option, a value that looks like an option), which picocli then
         * parses and words the error for as before. Picocli builds a command's model from its annotations by
         * reflection: on a JVM that has just started that was ~0.1 s of a 3.4 s boot (async-profiler, session
         * 15). The annotations above stay the one list of options: RunParseTest checks that this takes every
         * one of them and sets the field picocli sets.
         */
        static Run parse(String... args) {
            Run r = new Run();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                int eq = a.startsWith("--") ? a.indexOf('=') : -1;
                String name = eq > 0 ? a.substring(0, eq) : a;
                String v = eq > 0 ? a.substring(eq + 1) : null;
                boolean flag = true;
                switch (name) {
                    case "--icount" -> r.icount = true;
                    case "--stats" -> r.stats = true;
                    case "--no-reboot" -> r.noReboot = true;
                    case "--pv" -> r.pv = true;
                    case "--invtsc" -> r.invtsc = true;
                    case "--guest-decompress" -> r.guestDecompress = true;
                    case "--profile-stacks" -> r.profileStacks = true;
                    default -> flag = false;
                }
                if (flag) {
                    if (v != null) {
                        return null; // a flag with a value (--stats=true): picocli's reading
                    }
                    continue;
                }
                if (v == null) {
                    if (i + 1 >= args.length || args[i + 1].startsWith("-")) {
                        return null;
                    }
                    v = args[++i];
                }
                try {
                    switch (name) {
                        case "--kernel" -> r.kernel = Path.of(v);
                        case "--initrd" -> r.initrd = v;
                        case "--append" -> r.append = v;
                        case "--mem", "-m" -> r.mem = v;
                        case "--accel" -> r.accel = v;
                        case "--serial" -> r.serial = v;
                        case "--stats-json" -> r.statsJson = Path.of(v);
                        case "--timeout" -> r.timeout = Double.valueOf(v);
                        case "--rtc-base" -> r.rtcBase = v;
                        case "--profile" -> r.profile = Path.of(v);
                        case "--drive" -> r.drives.add(v);
                        default -> {
                            return null;
                        }
                    }
                } catch (IllegalArgumentException e) { // a malformed number or path: picocli says which
                    return null;
                }
            }
            return r;
        }

        @Override
        public Integer call() {
            if (!accel.equals("interp") && !accel.equals("bt")) {
                System.err.println("jvisor: --accel " + accel + ": unknown engine (available: interp, bt)");
                return 1;
            }
            MachineConfig config;
            try {
                if (kernel != null && !Files.isRegularFile(kernel)) {
                    System.err.println("jvisor: " + kernel + ": no such kernel file");
                    return 1;
                }
                if (kernel == null && initrd != null && !Files.isRegularFile(java.nio.file.Path.of(initrd))) {
                    // with the default kernel, --initrd replaces our initramfs (checked before the guest is fetched)
                    System.err.println("jvisor: " + initrd + ": no such initrd file");
                    return 1;
                }
                java.util.List<dev.jvisor.machine.DriveSpec> specs = new java.util.ArrayList<>();
                for (String d : drives) {
                    specs.add(dev.jvisor.machine.DriveSpec.parse(d));
                }
                java.time.LocalDateTime base = null;
                if (rtcBase != null) {
                    try {
                        base = java.time.LocalDateTime.parse(rtcBase);
                    } catch (java.time.format.DateTimeParseException e) {
                        throw new IllegalArgumentException("--rtc-base: '" + rtcBase + "' is not a date-time like 2026-01-31T12:00:00");
                    }
                }
                config = new MachineConfig(kernel, initrd, append, parseSize(mem), icount, serial, pv, specs, guestDecompress,
                        base, invtsc);
            } catch (IllegalArgumentException e) {
                System.err.println("jvisor: " + e.getMessage());
                return 1;
            }
            OutputStream out;
            try {
                out = serial.equals("stdio") ? new FileOutputStream(java.io.FileDescriptor.out)
                        : serial.equals("none") ? null : new FileOutputStream(serial.substring(5));
            } catch (IOException e) {
                System.err.println("jvisor: " + serial.substring(5) + ": " + e.getMessage());
                return 1;
            }
            Terminal term = serial.equals("stdio") ? Terminal.enterRaw() : Terminal.NONE;
            try {
                while (true) {
                    PcMachine machine;
                    try {
                        machine = new PcMachine(config, out, msg -> System.err.println("jvisor: " + msg)).setAccel(accel);
                    } catch (BootException e) {
                        System.err.println("jvisor: " + e.getMessage());
                        return 1;
                    }
                    Vm vm = machine.vm();
                    // --stats reports the translator's top units: they count their runs and instructions
                    vm.vcpu().setBtProfile(stats);
                    if (timeout != null) {
                        vm.setDeadline(System.nanoTime() + (long) (timeout * 1e9));
                    }
                    if (serial.equals("stdio")) {
                        machine.console().startInput(System.in, machine.serialInput(), term.isTerminal(),
                                () -> vm.stop(Vm.StopReason.HOST_REQUEST, 0),
                                () -> printStats(vm, 0, term), vm::wake);
                    }
                    dev.jvisor.vmm.GuestProfiler profiler = profile == null ? null
                            : new dev.jvisor.vmm.GuestProfiler(vm.vcpu(), 100, profileStacks);
                    long t0 = System.nanoTime();
                    Vm.StopReason why = vm.run();
                    if (profiler != null) {
                        try {
                            profiler.write(profile);
                        } catch (IOException e) {
                            System.err.print(term.eol("jvisor: " + profile + ": " + e.getMessage()));
                        }
                    }
                    machine.console().flush();
                    try {
                        machine.close();
                    } catch (java.io.IOException e) {
                        System.err.print(term.eol("jvisor: closing disks: " + e.getMessage()));
                    }
                    double secs = (System.nanoTime() - t0) / 1e9;
                    if (why == Vm.StopReason.RESET && !noReboot) {
                        System.err.print(term.eol("jvisor: guest reset, rebooting"));
                        continue;
                    }
                    report(vm, why, secs, term);
                    if (stats && machine.apic() != null) {
                        System.err.print(term.eol(String.format("local APIC: %d EOI register writes, %d EOIs skipped through PV EOI%n",
                                machine.apic().eoiWrites(), machine.apic().pvEoisSkipped())));
                    }
                    return vm.exitStatus();
                }
            } finally {
                term.restore();
            }
        }

        private void report(Vm vm, Vm.StopReason why, double secs, Terminal term) {
            PrintStream err = System.err;
            switch (why) {
                case TRIPLE_FAULT -> err.print(term.eol("jvisor: triple fault, guest stopped\n" + vm.vcpu().dump()));
                case TIMEOUT -> err.print(term.eol("jvisor: timeout after " + timeout + " s"));
                case RESET -> err.print(term.eol("jvisor: guest reset (--no-reboot)"));
                default -> { }
            }
            if (stats) {
                printStats(vm, secs, term);
            }
            if (statsJson != null) {
                try {
                    Files.writeString(statsJson, vm.stats().json(vm.vcpu().icount, secs));
                } catch (IOException e) {
                    err.println("jvisor: " + statsJson + ": " + e.getMessage());
                }
            }
        }

        private static void printStats(Vm vm, double secs, Terminal term) {
            System.err.print(term.eol(vm.stats().table(vm.vcpu().icount, secs) + vm.vcpu().btStats()));
        }
    }

    /** Raw mode on the controlling terminal while the guest owns it (stty, restored at exit). */
    static final class Terminal {
        static final Terminal NONE = new Terminal(null);
        private final String saved;

        private Terminal(String saved) {
            this.saved = saved;
        }

        static Terminal enterRaw() {
            java.io.Console c = System.console();
            if (c == null || !c.isTerminal()) {
                return NONE;
            }
            try {
                String saved = stty("-g").trim();
                stty("raw", "-echo");
                Terminal t = new Terminal(saved);
                Runtime.getRuntime().addShutdownHook(new Thread(t::restore));
                return t;
            } catch (IOException | InterruptedException e) {
                return NONE;
            }
        }

        boolean isTerminal() {
            return saved != null;
        }

        /** In raw mode a newline does not return the carriage. */
        String eol(String s) {
            String t = s.endsWith("\n") ? s : s + "\n";
            return saved != null ? t.replace("\n", "\r\n") : t;
        }

        synchronized void restore() {
            if (saved != null) {
                try {
                    stty(saved);
                } catch (IOException | InterruptedException e) {
                    // nothing more to do
                }
            }
        }

        private static String stty(String... args) throws IOException, InterruptedException {
            String[] cmd = new String[args.length + 1];
            cmd[0] = "stty";
            System.arraycopy(args, 0, cmd, 1, args.length);
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/tty")))
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return out;
        }
    }
}
