package dev.jvisor.cli;

import dev.jvisor.boot.BootException;
import dev.jvisor.boot.DefaultGuest;
import dev.jvisor.boot.FetchedGuest;
import dev.jvisor.boot.GuestFetcher;
import dev.jvisor.machine.MachineConfig;
import dev.jvisor.machine.PcMachine;
import dev.jvisor.vmm.Vm;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The training run of the JVM's ahead-of-time cache (JEP 483/514/515), which the launcher makes
 * once per build: the CPU benchmark on both engines, then, if the default guest is in the cache
 * (it is never fetched here), a boot of it on each engine to a few shell commands and power-off.
 * A cache trained on a Linux boot carries the profiles of what `jvisor run` really does (devices,
 * paging, the kernel's instruction mix); one trained on the benchmark alone made the JIT recompile
 * the interpreter as the boot reached paths the profiles lacked (session 13: a bt boot 3.79 -> 3.49 s,
 * an interp boot 4.16 -> 3.87 s). Without a cached guest it writes {@code --no-guest-marker}: the path
 * the guest's properties will have, so the launcher can train again once the guest is there.
 */
@Command(name = "train", hidden = true, description = "Training workload for the JVM's ahead-of-time cache (used by the launcher).")
final class Train implements Callable<Integer> {
    @Option(names = "--no-guest-marker", paramLabel = "FILE",
            description = "without a cached guest, write the path of its future guest.properties here")
    Path noGuestMarker;

    @Option(names = "--cache", paramLabel = "DIR", description = "the cache directory to look in (default: jvisor's)")
    Path cache;

    /** Shell work after the boot: ordinary commands, so user mode, system calls, pipes and fork are profiled too. */
    static final String INIT = DefaultGuest.INIT_PROLOGUE + """
            echo "jvisor: training"
            ls -l /bin >/dev/null
            cat /proc/cpuinfo /proc/meminfo >/dev/null
            seq 1 3000 | sort -r | md5sum >/dev/null
            poweroff -f
            """;

    @Override
    public Integer call() throws IOException {
        int status = new CommandLine(new Bench()).execute("--accel", "interp,bt", "--instructions", "40000000",
                "--runs", "1", "--warmup", "0");
        if (status != 0) {
            return status;
        }
        GuestFetcher fetcher = cache == null ? new GuestFetcher() : new GuestFetcher(cache, msg -> { });
        FetchedGuest files = fetcher.cached();
        if (files == null) {
            System.out.println("jvisor train: no cached guest, trained on the CPU benchmark only");
            if (noGuestMarker != null) {
                Files.writeString(noGuestMarker, fetcher.cacheDir().resolve("guest").resolve("guest.properties") + "\n");
            }
            return 0;
        }
        try {
            DefaultGuest guest = new DefaultGuest(files);
            Path initrd = Files.createTempFile("jvisor-train", ".cpio.gz");
            try {
                Files.write(initrd, guest.initramfs(INIT, Map.of()));
                for (String accel : List.of("bt", "interp")) {
                    MachineConfig cfg = new MachineConfig(guest.kernel(), initrd.toString(), DefaultGuest.DEFAULT_CMDLINE,
                            256L << 20, false, "stdio", false, List.of(), false, null);
                    PcMachine m = new PcMachine(cfg, OutputStream.nullOutputStream(), msg -> { }).setAccel(accel);
                    Vm vm = m.vm();
                    vm.setDeadline(System.nanoTime() + 120L * 1_000_000_000L);
                    Vm.StopReason why = vm.run();
                    System.out.println("jvisor train: Linux boot on " + accel + ": " + why);
                }
            } finally {
                Files.deleteIfExists(initrd);
            }
        } catch (BootException e) {
            System.out.println("jvisor train: " + e.getMessage());
        }
        return 0;
    }
}
