package dev.jvisor.devices.virtio;

/**
 * A guest programming error found while walking a virtqueue (bad index, loop, address outside
 * RAM...). Thrown inside this package only: the transport catches it and turns it into
 * DEVICE_NEEDS_RESET (virtio 1.1 section 2.1.1), so it never leaves a device method.
 */
final class VirtioError extends RuntimeException {
    VirtioError(String message) {
        super(message, null, false, false);
    }
}
