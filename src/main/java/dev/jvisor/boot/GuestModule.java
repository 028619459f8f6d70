package dev.jvisor.boot;

import java.nio.file.Path;

/**
 * A kernel module of the default guest, cached on the host: its name, its path below
 * {@code /lib/modules} (e.g. {@code 6.1.0-50-686/kernel/drivers/virtio/virtio.ko}; the same
 * path below {@code CACHE/guest/modules}) and the host file.
 */
public record GuestModule(String name, String path, Path file) {
    /** Where the module sits in the guest's initramfs. */
    public String guestPath() {
        return "/lib/modules/" + path;
    }
}
