package dev.jvisor.boot;

import java.nio.file.Path;

/** The default guest's files in the cache: Debian's i386 kernel and static busybox. */
public record FetchedGuest(Path kernel, Path busybox, String kernelPackage, String busyboxPackage) {}
