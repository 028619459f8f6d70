package dev.jvisor.machine;

import org.junit.jupiter.api.AfterAll;

/**
 * The Linux boot of {@link LinuxBootTest} on the binary translator ({@code --accel bt}): the same
 * guest, init script and checks (every test is inherited), with guest code running as translated
 * blocks wherever the translator handles it. This boot also runs the bzImage's own XZ
 * decompressor in the guest (about 2.3 billion instructions of LZMA decoding and x86 BCJ
 * filtering), which the other Linux tests skip by unpacking the kernel on the host.
 */
class LinuxBootBtTest extends LinuxBootTest {
    @Override
    String accel() {
        return "bt";
    }

    @Override
    boolean guestDecompress() {
        return true;
    }

    /** Every block the boot made hot was translated and loaded (the JVM verified it): none failed. */
    @org.junit.jupiter.api.Test
    void noTranslationFailed() {
        org.junit.jupiter.api.Assertions.assertEquals(0, vm.vcpu().btTranslationFailures(), vm.vcpu().btStats());
    }

    @AfterAll
    void printStats() {
        System.out.println("[linux-bt]" + vm.vcpu().btStats());
    }
}
