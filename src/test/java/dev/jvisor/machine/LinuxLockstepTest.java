package dev.jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.boot.DefaultGuest;
import dev.jvisor.cpu.Vcpu;
import dev.jvisor.vmm.Vm;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Differential test of the binary translator on a whole Linux boot: two identical machines
 * (--icount, a fixed RTC base, the same kernel, initramfs and init script as LinuxBootTest), one
 * on the interpreter and one on the translator, run in lockstep. Each step retires the same
 * seeded-random number of instructions on both ({@link Vm#runUntil}), so step boundaries fall at
 * every kind of place, inside translated units and between them; after every step the
 * architectural registers must agree, every few thousand steps all of RAM, and at the end the
 * console output and the way the guest stopped.
 */
class LinuxLockstepTest {
    private static final LocalDateTime RTC_BASE = LocalDateTime.of(2026, 1, 31, 12, 0, 0);
    /** A shorter workload than LinuxBootTest's (no module loading): user code, forks, floats, tmpfs. */
    static final String INIT = """
            #!/bin/busybox sh
            export PATH=/bin:/sbin:/usr/bin:/usr/sbin
            mount -t proc proc /proc
            uname -a
            seq 1 3000 | md5sum
            i=0
            while [ $i -lt 20 ]; do /bin/busybox true; i=$((i+1)); done
            echo "forked $i"
            printf "%.3f %e %g\n" 3.14159 12345.678 0.0001
            mount -t tmpfs tmpfs /mnt && echo data > /mnt/f && cat /mnt/f
            echo "=== done"
            poweroff -f
            """;

    @Test
    void translatorAndInterpreterAgreeOnALinuxBoot() throws Exception {
        DefaultGuest guest = DefaultGuest.open();
        Path initrd = Files.createTempFile("jvisor-lockstep", ".cpio.gz");
        try {
            Files.write(initrd, guest.initramfs(INIT, Map.of()));
            MachineConfig cfg = new MachineConfig(guest.kernel(), initrd.toString(),
                    DefaultGuest.DEFAULT_CMDLINE + " quiet", 128L << 20, true, "stdio", false, List.of(), false, RTC_BASE);
            ByteArrayOutputStream refOut = new ByteArrayOutputStream();
            ByteArrayOutputStream btOut = new ByteArrayOutputStream();
            try (PcMachine ref = new PcMachine(cfg, refOut, msg -> { }).setAccel("interp");
                    PcMachine bt = new PcMachine(cfg, btOut, msg -> { }).setAccel("bt")) {
                // far below the shipping threshold, so that most of the boot runs translated
                bt.vm().vcpu().setBtThreshold(64);
                run(ref, bt);
                ref.console().flush();
                bt.console().flush();
                String a = refOut.toString(StandardCharsets.ISO_8859_1);
                String b = btOut.toString(StandardCharsets.ISO_8859_1);
                assertTrue(a.contains("=== done"), "the interpreter's guest did not finish:\n" + a);
                assertEquals(a, b, "console output");
                String stats = bt.vm().vcpu().btStats();
                System.out.println("[linux-lockstep] icount " + ref.vm().vcpu().icount + "\n" + stats);
            }
        } finally {
            Files.deleteIfExists(initrd);
        }
    }

    private static void run(PcMachine refMachine, PcMachine btMachine) {
        Vm ref = refMachine.vm();
        Vm bt = btMachine.vm();
        long giveUp = System.nanoTime() + 20L * 60 * 1_000_000_000L;
        Random rnd = new Random(7);
        for (long step = 0; ; step++) {
            long target = ref.vcpu().icount + 1 + rnd.nextInt(step % 64 == 0 ? 20 : 20000);
            Vm.StopReason a = ref.runUntil(target);
            Vm.StopReason b = bt.runUntil(target);
            compare(ref.vcpu(), bt.vcpu(), step);
            assertEquals(a, b, "stop reason at step " + step);
            if (step % 5000 == 0 || a != null) {
                long at = ref.vcpu().ram().mismatch(bt.vcpu().ram());
                assertEquals(-1, at, "RAM differs (first at 0x" + Long.toHexString(at) + ") after step " + step
                        + " (icount " + ref.vcpu().icount + ")");
            }
            if (a != null) {
                assertEquals(Vm.StopReason.HALTED_WITH_INTERRUPTS_OFF, a, "the guest did not power off");
                return;
            }
            assertTrue(System.nanoTime() < giveUp, "no power-off within 20 minutes");
        }
    }

    private static void compare(Vcpu a, Vcpu b, long step) {
        String at = " after step " + step + " (icount " + a.icount + ", EIP " + Integer.toHexString(a.eip) + ")";
        assertEquals(a.icount, b.icount, "icount" + at);
        assertEquals(Integer.toHexString(a.eip), Integer.toHexString(b.eip), "EIP" + at);
        for (int r = 0; r < 8; r++) {
            assertEquals(Integer.toHexString(a.reg[r]), Integer.toHexString(b.reg[r]), "register " + r + at);
        }
        assertEquals(Integer.toHexString(a.getEflags()), Integer.toHexString(b.getEflags()), "EFLAGS" + at);
        assertEquals(a.cpl, b.cpl, "CPL" + at);
        for (int s = 0; s < 6; s++) {
            assertEquals(a.segSel[s], b.segSel[s], "segment " + s + at);
        }
        assertEquals(a.cr0, b.cr0, "CR0" + at);
        assertEquals(a.cr2, b.cr2, "CR2" + at);
        assertEquals(a.cr3, b.cr3, "CR3" + at);
    }
}
