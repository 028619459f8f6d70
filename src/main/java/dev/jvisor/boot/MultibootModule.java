package dev.jvisor.boot;

import java.nio.file.Path;

/** One multiboot module request: the file to load and the module's string (the whole item). */
public record MultibootModule(Path file, String string) {}
