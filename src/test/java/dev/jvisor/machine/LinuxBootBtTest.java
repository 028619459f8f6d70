package dev.jvisor.machine;

import org.junit.jupiter.api.AfterAll;

/**
 * The Linux boot of {@link LinuxBootTest} on the binary translator ({@code --accel bt}): the same
 * guest, init script and checks (every test is inherited), with guest code running as translated
 * blocks wherever the translator handles it.
 */
class LinuxBootBtTest extends LinuxBootTest {
    @Override
    String accel() {
        return "bt";
    }

    @AfterAll
    void printStats() {
        System.out.println("[linux-bt]" + vm.vcpu().btStats());
    }
}
