package dev.jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DriveSpecTest {
    @Test
    void parsesQemuStyleOptions() {
        DriveSpec d = DriveSpec.parse("file=/img/deb.img,if=ide,readonly=on");
        assertEquals(Path.of("/img/deb.img"), d.file());
        assertEquals("ide", d.iface());
        assertTrue(d.readOnly());
        assertEquals(DriveSpec.NEXT_FREE, d.index());
        d = DriveSpec.parse("if=virtio,file=a,,b.img,index=2,format=raw,media=disk");
        assertEquals(Path.of("a,b.img"), d.file());
        assertEquals("virtio", d.iface());
        assertFalse(d.readOnly());
        assertEquals(2, d.index());
        assertEquals("ide", DriveSpec.parse("file=x").iface());
    }

    @Test
    void rejectsWithOneLineMessages() {
        for (String bad : List.of("if=ide", "file=x,if=scsi", "file=x,readonly=maybe", "file=x,index=z",
                "file=x,format=qcow2", "file=x,media=cdrom", "file=x,cache=none", "file=x,bogus")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DriveSpec.parse(bad));
            assertFalse(e.getMessage().contains("\n"));
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
    }
}
