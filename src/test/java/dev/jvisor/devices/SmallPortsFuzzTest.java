package dev.jvisor.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvisor.bus.PortBus;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Random traffic over the one-register devices: 0x61, 0x80, 0x92 and isa-debug-exit. */
class SmallPortsFuzzTest {
    @Test
    void randomAccessesNeverThrowAndLeaveDefinedState() {
        FakeClock clock = new FakeClock();
        Pit8254 pit = new Pit8254(clock, null);
        A20Gate a20 = new A20Gate(null);
        List<Integer> exits = new ArrayList<>();
        int[] resets = new int[1];
        PortBus bus = new PortBus();
        bus.register(Pit8254.BASE, Pit8254.PORT_COUNT, pit);
        bus.register(SystemControlPortB.PORT, SystemControlPortB.PORT_COUNT, new SystemControlPortB(pit));
        bus.register(PostCodePort.PORT, PostCodePort.PORT_COUNT, new PostCodePort());
        bus.register(SystemControlPortA.PORT, SystemControlPortA.PORT_COUNT, new SystemControlPortA(a20, () -> resets[0]++));
        DebugExit exit = new DebugExit(0x501, 2, exits::add);
        bus.register(exit.port(), exit.width(), exit);
        int[] ports = {0x61, 0x80, 0x92, 0x501, 0x502, 0x60, 0x91};
        Random rnd = new Random(61);
        for (int i = 0; i < 100_000; i++) {
            clock.advance(rnd.nextInt(1000));
            int port = ports[rnd.nextInt(ports.length)];
            int size = 1 << rnd.nextInt(3);
            if (rnd.nextBoolean()) {
                int v = bus.read(port, size);
                if (size == 1) {
                    assertTrue(v >= 0 && v <= 0xff);
                }
            } else {
                bus.write(port, size, rnd.nextInt());
            }
        }
        for (int status : exits) {
            assertEquals(1, status & 1, "debug-exit statuses are odd");
        }
        bus.write(0x92, 1, 0x02);
        assertEquals(0x02, bus.read(0x92, 1) & 0x02);
        bus.write(0x61, 1, 0x01);
        assertEquals(0x01, bus.read(0x61, 1) & 0x03);
        bus.write(0x80, 1, 0xaa);
        assertEquals(0xaa, bus.read(0x80, 1));
    }
}
