package dev.jvisor.cli;

import dev.jvisor.boot.BootException;
import dev.jvisor.boot.DefaultGuest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `jvisor guest`: fetches the default Debian guest if needed and prints its kernel path; with
 * --initramfs writes an initramfs (the default /init, or --init SCRIPT), so the same guest can be
 * booted on QEMU or with --kernel/--initrd (benchmarks, comparisons).
 */
@Command(name = "guest", mixinStandardHelpOptions = true,
        description = "Fetch the default guest; print its kernel path and write an initramfs.")
final class Guest implements Callable<Integer> {
    @Option(names = "--initramfs", paramLabel = "FILE", description = "write the initramfs (cpio.gz) here")
    Path out;
    @Option(names = "--init", paramLabel = "SCRIPT", description = "use this file as /init instead of the default")
    Path init;

    @Override
    public Integer call() {
        try {
            DefaultGuest guest = DefaultGuest.open();
            if (out != null) {
                byte[] img = init == null ? guest.initramfs() : guest.initramfs(Files.readString(init), Map.of());
                Files.write(out, img);
            }
            System.out.println(guest.kernel());
            return 0;
        } catch (BootException e) {
            System.err.println("jvisor: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            System.err.println("jvisor: " + (init != null ? init : out) + ": " + e.getMessage());
            return 1;
        }
    }
}
