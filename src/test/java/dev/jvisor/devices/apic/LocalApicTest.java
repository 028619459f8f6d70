package dev.jvisor.devices.apic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.bus.Clock;
import dev.jvisor.vmm.GuestRam;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The local APIC against SDM Vol. 3A chapter 11 and KVM's PV EOI protocol. */
class LocalApicTest {
    static final long TSC_OFFSET = 5_000; // the guest TSC runs ahead of the virtual clock

    /** A PIC stand-in: one pending vector or none. */
    static final class FakePic implements ExtIntSource {
        int pending = -1;
        int acks;

        @Override
        public boolean hasInterrupt() {
            return pending >= 0;
        }

        @Override
        public int acknowledge() {
            acks++;
            int v = pending;
            pending = -1;
            return v < 0 ? 0x27 : v;
        }
    }

    long now;
    final Clock clock = () -> now;
    final FakePic pic = new FakePic();
    final GuestRam ram = new GuestRam(1 << 20);
    LocalApic apic;

    @BeforeEach
    void setUp() {
        apic = new LocalApic(pic, clock, () -> now + TSC_OFFSET, ram);
    }

    int read(int reg) {
        return (int) apic.mmioRead(reg, 4);
    }

    void write(int reg, int value) {
        apic.mmioWrite(reg, 4, value & 0xffffffffL);
    }

    void enable() {
        write(LocalApic.SVR, 0x1ff);
    }

    /** Sends a fixed self-IPI (destination shorthand self). */
    void selfIpi(int vector) {
        write(LocalApic.ICR_LOW, 1 << 18 | vector);
    }

    void advance(long nanos) {
        now += nanos;
        if (apic.nextDeadline() <= now) {
            apic.advanceTo(now);
        }
    }

    @Test
    void resetStateIsVirtualWireWithTheApicSoftwareDisabled() {
        assertEquals(LocalApic.VERSION, read(LocalApic.LVR));
        assertEquals(0xff, read(LocalApic.SVR));
        assertEquals(0x700, read(LocalApic.LVT_LINT0), "LINT0 ExtINT, unmasked");
        assertEquals(0x400, read(LocalApic.LVT_LINT1), "LINT1 NMI");
        assertEquals(LocalApic.LVT_MASKED, read(LocalApic.LVT_TIMER));
        assertEquals(0xffffffff, read(LocalApic.DFR));
        assertEquals(0xfee00900L, apic.rdmsr(LocalApic.MSR_APIC_BASE), "base, BSP, enabled");
    }

    @Test
    void picInterruptPassesThroughExtIntWithoutTouchingIrrOrIsr() {
        pic.pending = 0x30;
        assertTrue(apic.hasInterrupt());
        assertEquals(0x30, apic.acknowledge());
        assertEquals(1, pic.acks);
        for (int n = 0; n < 8; n++) {
            assertEquals(0, read(LocalApic.IRR + 16 * n));
            assertEquals(0, read(LocalApic.ISR + 16 * n));
        }
        assertFalse(apic.hasInterrupt());
    }

    @Test
    void maskedLint0BlocksThePic() {
        enable();
        write(LocalApic.LVT_LINT0, LocalApic.LVT_MASKED | 0x700);
        pic.pending = 0x30;
        assertFalse(apic.hasInterrupt());
    }

    @Test
    void hardwareDisabledApicGivesThePicStraightToTheCpu() {
        enable();
        write(LocalApic.LVT_LINT0, LocalApic.LVT_MASKED | 0x700);
        assertTrue(apic.wrmsr(LocalApic.MSR_APIC_BASE, 0xfee00000L));
        pic.pending = 0x31;
        assertTrue(apic.hasInterrupt());
        assertEquals(0x31, apic.acknowledge());
        assertEquals(0, apic.mmioRead(LocalApic.LVR, 4), "no register page while disabled");
        // back on: the reset state again
        assertTrue(apic.wrmsr(LocalApic.MSR_APIC_BASE, 0xfee00800L));
        assertEquals(0x700, read(LocalApic.LVT_LINT0));
    }

    @Test
    void apicBaseRejectsReservedBitsAndX2apic() {
        assertFalse(apic.wrmsr(LocalApic.MSR_APIC_BASE, 0xfee00c00L), "x2APIC is not offered");
        assertFalse(apic.wrmsr(LocalApic.MSR_APIC_BASE, 1L << 32 | 0xfee00800L));
        assertFalse(apic.wrmsr(LocalApic.MSR_APIC_BASE, 0xfee00801L));
        assertEquals(0xfee00900L, apic.rdmsr(LocalApic.MSR_APIC_BASE));
        assertTrue(apic.wrmsr(LocalApic.MSR_APIC_BASE, 0xfed00800L), "a move is accepted but not done");
        assertEquals(0xfee00900L, apic.rdmsr(LocalApic.MSR_APIC_BASE), "the MSR says where the page really is");
    }

    @Test
    void selfIpiIsDeliveredByPriorityAndEoiClearsTheHighestInService() {
        enable();
        selfIpi(0x41);
        selfIpi(0x92);
        assertEquals(1 << 1, read(LocalApic.IRR + 16 * 2), "0x41 in IRR word 2");
        assertTrue(apic.hasInterrupt());
        assertEquals(0x92, apic.acknowledge());
        assertEquals(0x90, read(LocalApic.PPR), "PPR is the in-service class");
        assertFalse(apic.hasInterrupt(), "0x41 is below the in-service 0x92");
        write(LocalApic.EOI, 0);
        assertEquals(0, read(LocalApic.ISR + 16 * 4));
        assertEquals(0x41, apic.acknowledge());
        write(LocalApic.EOI, 0);
        assertFalse(apic.hasInterrupt());
        assertEquals(0, read(LocalApic.PPR));
    }

    @Test
    void higherClassNestsOverAnInServiceVector() {
        enable();
        selfIpi(0x41);
        assertEquals(0x41, apic.acknowledge());
        selfIpi(0x45);
        assertFalse(apic.hasInterrupt(), "same class as the in-service vector: waits");
        selfIpi(0x51);
        assertEquals(0x51, apic.acknowledge());
        write(LocalApic.EOI, 0); // ends 0x51
        assertEquals(0x40, read(LocalApic.PPR));
        write(LocalApic.EOI, 0); // ends 0x41
        assertEquals(0x45, apic.acknowledge());
    }

    @Test
    void tprMasksLowerClasses() {
        enable();
        write(LocalApic.TPR, 0x50);
        selfIpi(0x55);
        assertFalse(apic.hasInterrupt(), "class 5 is not above TPR class 5");
        assertEquals(0x50, read(LocalApic.PPR));
        write(LocalApic.TPR, 0x4f);
        assertTrue(apic.hasInterrupt());
        assertEquals(0x55, apic.acknowledge());
    }

    @Test
    void extIntGoesBeforeApicVectors() {
        enable();
        selfIpi(0xe0);
        pic.pending = 0x30;
        assertEquals(0x30, apic.acknowledge());
        assertEquals(0xe0, apic.acknowledge());
    }

    @Test
    void illegalVectorsAreNotDeliveredAndSetEsr() {
        enable();
        write(LocalApic.LVT_ERROR, 0xfe);
        selfIpi(0x05);
        assertEquals(0, read(LocalApic.ESR), "ESR reads what the last write latched");
        write(LocalApic.ESR, 0);
        assertEquals(LocalApic.ESR_SEND_ILLEGAL, read(LocalApic.ESR));
        assertEquals(0xfe, apic.acknowledge(), "the LVT error interrupt");
        write(LocalApic.EOI, 0);
        // the timer with an illegal vector: received illegal vector
        write(LocalApic.LVT_TIMER, 0x03);
        write(LocalApic.TIMER_INITIAL, 100);
        write(LocalApic.TIMER_DIVIDE, 0xb); // divide by 1
        advance(200);
        write(LocalApic.ESR, 0);
        assertEquals(LocalApic.ESR_RECEIVE_ILLEGAL, read(LocalApic.ESR));
        assertEquals(0xfe, apic.acknowledge());
        write(LocalApic.EOI, 0);
        assertFalse(apic.hasInterrupt());
    }

    @Test
    void softwareDisabledApicKeepsLvtsMaskedAndDropsIpis() {
        write(LocalApic.LVT_TIMER, 0x40);
        assertEquals(LocalApic.LVT_MASKED | 0x40, read(LocalApic.LVT_TIMER));
        selfIpi(0x40);
        assertFalse(apic.hasInterrupt());
        enable();
        write(LocalApic.LVT_TIMER, 0x40);
        assertEquals(0x40, read(LocalApic.LVT_TIMER));
        write(LocalApic.SVR, 0xff);
        assertEquals(LocalApic.LVT_MASKED | 0x40, read(LocalApic.LVT_TIMER), "software disable masks every LVT");
        assertEquals(LocalApic.LVT_MASKED | 0x700, read(LocalApic.LVT_LINT0));
    }

    @Test
    void ipiDestinations() {
        enable();
        write(LocalApic.ICR_HIGH, 0);
        write(LocalApic.ICR_LOW, 0x61); // physical destination 0 = our ID
        assertEquals(0x61, apic.acknowledge());
        write(LocalApic.EOI, 0);
        write(LocalApic.ICR_HIGH, 3 << 24);
        write(LocalApic.ICR_LOW, 0x62); // physical destination 3: not us
        assertFalse(apic.hasInterrupt());
        write(LocalApic.ICR_LOW, 3 << 18 | 0x63); // all excluding self
        assertFalse(apic.hasInterrupt());
        write(LocalApic.LDR, 1 << 24);
        write(LocalApic.ICR_HIGH, 1 << 24);
        write(LocalApic.ICR_LOW, 1 << 11 | 0x64); // logical, flat model, our bit
        assertEquals(0x64, apic.acknowledge());
        write(LocalApic.EOI, 0);
        write(LocalApic.ICR_LOW, 1 << 18 | 5 << 8 | 0x65); // INIT to self: ignored
        assertFalse(apic.hasInterrupt());
        assertEquals(0, read(LocalApic.ICR_LOW) & 1 << 12, "delivery status idle");
    }

    @Test
    void oneShotTimerFiresOnceAfterCountTimesDivide() {
        enable();
        write(LocalApic.TIMER_DIVIDE, 0x3); // divide by 16
        write(LocalApic.LVT_TIMER, 0xec);
        write(LocalApic.TIMER_INITIAL, 1000);
        assertEquals(16_000, apic.nextDeadline());
        advance(8_000);
        assertEquals(500, read(LocalApic.TIMER_CURRENT));
        assertFalse(apic.hasInterrupt());
        advance(7_999);
        assertFalse(apic.hasInterrupt(), "one ns early");
        advance(1);
        assertEquals(0xec, apic.acknowledge());
        assertEquals(0, read(LocalApic.TIMER_CURRENT));
        assertEquals(Long.MAX_VALUE, apic.nextDeadline(), "one-shot: stopped");
    }

    @Test
    void periodicTimerReloads() {
        enable();
        write(LocalApic.TIMER_DIVIDE, 0xb); // divide by 1
        write(LocalApic.LVT_TIMER, 1 << 17 | 0xec);
        write(LocalApic.TIMER_INITIAL, 10_000);
        for (int i = 1; i <= 3; i++) {
            advance(10_000);
            assertEquals(0xec, apic.acknowledge(), "period " + i);
            write(LocalApic.EOI, 0);
            assertEquals(10_000L * (i + 1), apic.nextDeadline());
        }
        write(LocalApic.TIMER_INITIAL, 0);
        assertEquals(Long.MAX_VALUE, apic.nextDeadline(), "count 0 stops it");
    }

    @Test
    void maskedTimerCountsButDoesNotInterrupt() {
        enable();
        write(LocalApic.TIMER_DIVIDE, 0xb);
        write(LocalApic.LVT_TIMER, LocalApic.LVT_MASKED | 0xec);
        write(LocalApic.TIMER_INITIAL, 100);
        advance(100);
        assertFalse(apic.hasInterrupt());
    }

    @Test
    void tscDeadlineFiresWhenTheTscReachesIt() {
        enable();
        write(LocalApic.LVT_TIMER, 2 << 17 | 0xec);
        now = 1_000;
        long tsc = now + TSC_OFFSET;
        assertTrue(apic.wrmsr(LocalApic.MSR_TSC_DEADLINE, tsc + 50_000));
        assertEquals(tsc + 50_000, apic.rdmsr(LocalApic.MSR_TSC_DEADLINE));
        assertEquals(51_000, apic.nextDeadline(), "virtual time of that TSC value");
        write(LocalApic.TIMER_INITIAL, 5); // ignored in TSC-deadline mode
        assertEquals(0, read(LocalApic.TIMER_INITIAL));
        advance(49_999);
        assertFalse(apic.hasInterrupt());
        advance(1);
        assertEquals(0xec, apic.acknowledge());
        assertEquals(0, apic.rdmsr(LocalApic.MSR_TSC_DEADLINE), "reads 0 after it fired");
        // a deadline in the past fires at once; 0 disarms
        assertTrue(apic.wrmsr(LocalApic.MSR_TSC_DEADLINE, 1));
        assertEquals(now, apic.nextDeadline());
        assertTrue(apic.wrmsr(LocalApic.MSR_TSC_DEADLINE, 0));
        assertEquals(Long.MAX_VALUE, apic.nextDeadline());
        // a far deadline does not overflow into the past
        assertTrue(apic.wrmsr(LocalApic.MSR_TSC_DEADLINE, -1L));
        assertEquals(Long.MAX_VALUE, apic.nextDeadline(), "2^64 ns away: never");
        assertEquals(-1L, apic.rdmsr(LocalApic.MSR_TSC_DEADLINE), "but still armed");
    }

    @Test
    void tscDeadlineMsrIsInertOutsideDeadlineModeAndAModeChangeDisarms() {
        enable();
        write(LocalApic.LVT_TIMER, 0xec); // one-shot
        assertTrue(apic.wrmsr(LocalApic.MSR_TSC_DEADLINE, 100_000));
        assertEquals(0, apic.rdmsr(LocalApic.MSR_TSC_DEADLINE));
        assertEquals(Long.MAX_VALUE, apic.nextDeadline());
        write(LocalApic.LVT_TIMER, 2 << 17 | 0xec);
        assertTrue(apic.wrmsr(LocalApic.MSR_TSC_DEADLINE, 100_000));
        write(LocalApic.LVT_TIMER, 0xec); // back to one-shot: disarmed
        assertEquals(Long.MAX_VALUE, apic.nextDeadline());
    }

    @Test
    void junkAccessesNeverThrow() {
        enable();
        Random r = new Random(42);
        int[] sizes = {1, 2, 3, 4, 8, 0, -1, 16};
        for (int i = 0; i < 20_000; i++) {
            long off = r.nextInt(3) == 0 ? r.nextLong() : r.nextInt(0x1100) - 0x80;
            int size = sizes[r.nextInt(sizes.length)];
            apic.mmioRead(off, size);
            apic.mmioWrite(off, size, r.nextLong());
            if (i % 7 == 0) {
                apic.wrmsr(LocalApic.MSR_TSC_DEADLINE, r.nextLong());
                apic.wrmsr(LocalApic.MSR_PV_EOI, r.nextLong());
            }
            if (apic.hasInterrupt()) {
                apic.acknowledge();
            }
            advance(r.nextInt(1000));
        }
        assertEquals(0, apic.mmioRead(LocalApic.LVR + 1, 4), "unaligned");
        assertEquals(0, apic.mmioRead(LocalApic.LVR, 2), "not 32-bit");
    }

    // ---- PV EOI ----

    static final long FLAG = 0x8000;

    @Test
    void pvEoiSetsTheFlagAndTheGuestSkipsTheEoi() {
        enable();
        assertTrue(apic.wrmsr(LocalApic.MSR_PV_EOI, FLAG | 1));
        assertTrue(apic.pvEoiEnabled());
        selfIpi(0x50);
        assertEquals(0x50, apic.acknowledge());
        assertEquals(1, ram.read8(FLAG), "the only in-service vector, nothing pending: flag set");
        ram.write8(FLAG, 0); // the guest's kvm_guest_apic_eoi_write: test-and-clear, no EOI write
        assertFalse(apic.hasInterrupt()); // the host looks: performs the EOI itself
        assertEquals(0, read(LocalApic.ISR + 16 * 2));
        assertEquals(1, apic.pvEoisSkipped());
        assertEquals(0, apic.eoiWrites());
    }

    @Test
    void pvEoiIsTakenBackWhenAnotherInterruptIsPending() {
        enable();
        apic.wrmsr(LocalApic.MSR_PV_EOI, FLAG | 1);
        selfIpi(0x50);
        assertEquals(0x50, apic.acknowledge());
        assertEquals(1, ram.read8(FLAG));
        selfIpi(0x40); // lower class, pending behind 0x50
        assertEquals(0, ram.read8(FLAG), "flag cleared: the guest must write EOI");
        write(LocalApic.EOI, 0);
        assertEquals(0x40, apic.acknowledge());
        assertEquals(1, ram.read8(FLAG), "offered again for 0x40");
    }

    @Test
    void pvEoiIsNotOfferedWithAnotherVectorPendingAtInjection() {
        enable();
        apic.wrmsr(LocalApic.MSR_PV_EOI, FLAG | 1);
        selfIpi(0x50);
        selfIpi(0x60);
        assertEquals(0x60, apic.acknowledge());
        assertEquals(0, ram.read8(FLAG), "0x50 still in IRR");
    }

    @Test
    void untouchedFlagIsClearedWhenTheGuestWritesEoiItself() {
        enable();
        apic.wrmsr(LocalApic.MSR_PV_EOI, FLAG | 1);
        selfIpi(0x50);
        apic.acknowledge();
        write(LocalApic.EOI, 0); // a real EOI (e.g. a guest without the PV path)
        assertEquals(0, ram.read8(FLAG), "no stale flag for the next EOI");
        assertEquals(0, read(LocalApic.ISR + 16 * 2));
        selfIpi(0x51);
        apic.acknowledge();
        apic.hasInterrupt();
        assertEquals(0x00020000, read(LocalApic.ISR + 16 * 2), "0x51 still in service: no EOI was skipped");
    }

    @Test
    void pvEoiMsrRejectsMisalignedOrNonRamAddresses() {
        assertFalse(apic.wrmsr(LocalApic.MSR_PV_EOI, FLAG + 2 | 1), "not 4-byte aligned");
        assertFalse(apic.wrmsr(LocalApic.MSR_PV_EOI, 0xfee00000L | 1), "not RAM");
        assertFalse(apic.wrmsr(LocalApic.MSR_PV_EOI, (1L << 40) | 1), "beyond RAM");
        assertFalse(apic.pvEoiEnabled());
        assertTrue(apic.wrmsr(LocalApic.MSR_PV_EOI, 0), "disable");
        enable();
        selfIpi(0x50);
        apic.acknowledge();
        assertEquals(0, ram.read8(0), "disabled: nothing written to guest memory");
    }

    @Test
    void withoutPvEoiTheMsrIsNotTheApics() {
        LocalApic plain = new LocalApic(pic, clock, () -> now, null);
        assertFalse(plain.handlesMsr(LocalApic.MSR_PV_EOI));
        assertTrue(plain.handlesMsr(LocalApic.MSR_TSC_DEADLINE));
    }
}
