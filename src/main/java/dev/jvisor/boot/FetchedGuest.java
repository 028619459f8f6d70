package dev.jvisor.boot;

import java.nio.file.Path;
import java.util.List;

/**
 * The default guest's files in the cache: Debian's i386 kernel, static busybox and the kernel
 * modules the guest loads at boot (in load order: dependencies first; empty if none).
 */
public record FetchedGuest(Path kernel, Path busybox, String kernelPackage, String busyboxPackage,
        List<GuestModule> modules) {
    public FetchedGuest {
        modules = List.copyOf(modules);
    }

    /** A guest without modules. */
    public FetchedGuest(Path kernel, Path busybox, String kernelPackage, String busyboxPackage) {
        this(kernel, busybox, kernelPackage, busyboxPackage, List.of());
    }
}
