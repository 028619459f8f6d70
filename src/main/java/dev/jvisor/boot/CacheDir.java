package dev.jvisor.boot;

import java.nio.file.Path;

/**
 * jvisor's per-user cache directory: {@code $JVISOR_CACHE} if set, else
 * {@code $XDG_CACHE_HOME/jvisor}, else {@code ~/.cache/jvisor}.
 */
public final class CacheDir {
    private CacheDir() {}

    public static Path resolve() {
        String own = System.getenv("JVISOR_CACHE");
        if (own != null && !own.isBlank()) {
            return Path.of(own);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "jvisor");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "jvisor");
    }
}
