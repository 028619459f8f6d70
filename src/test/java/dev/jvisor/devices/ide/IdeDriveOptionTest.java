package dev.jvisor.devices.ide;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdeDriveOptionTest {
    @Test
    void parsesQemuStyleOptions() {
        IdeDriveOption d = IdeDriveOption.parse("file=/img/deb.img,if=ide,readonly=on");
        assertEquals(Path.of("/img/deb.img"), d.file());
        assertTrue(d.readOnly());
        assertEquals(IdeDriveOption.NEXT_FREE, d.index());
        d = IdeDriveOption.parse("if=ide,file=a,,b.img,index=2,format=raw,media=disk");
        assertEquals(Path.of("a,b.img"), d.file());
        assertFalse(d.readOnly());
        assertEquals(2, d.index());
    }

    @Test
    void rejectsWithOneLineMessages() {
        for (String bad : List.of("if=ide", "file=x,if=virtio", "file=x,readonly=maybe", "file=x,index=4",
                "file=x,index=z", "file=x,format=qcow2", "file=x,media=cdrom", "file=x,cache=none", "file=x,bogus")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdeDriveOption.parse(bad));
            assertFalse(e.getMessage().contains("\n"));
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
    }

    @Test
    void positionsFillFreeSlotsInOrder() {
        List<IdeDriveOption> drives = List.of(
                IdeDriveOption.parse("file=a"), IdeDriveOption.parse("file=b,index=0"), IdeDriveOption.parse("file=c"));
        assertArrayEquals(new int[] {1, 0, 2}, IdeDriveOption.positions(drives));
        assertThrows(IllegalArgumentException.class, () -> IdeDriveOption.positions(List.of(
                IdeDriveOption.parse("file=a,index=1"), IdeDriveOption.parse("file=b,index=1"))));
        assertThrows(IllegalArgumentException.class, () -> IdeDriveOption.positions(List.of(
                IdeDriveOption.parse("file=a"), IdeDriveOption.parse("file=b"), IdeDriveOption.parse("file=c"),
                IdeDriveOption.parse("file=d"), IdeDriveOption.parse("file=e"))));
    }
}
