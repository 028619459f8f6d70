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
    void positionsFillFreeSlotsInOrder() {
        List<IdeDriveOption> drives = List.of(
                new IdeDriveOption(Path.of("a"), false, IdeDriveOption.NEXT_FREE), new IdeDriveOption(Path.of("b"), false, 0), new IdeDriveOption(Path.of("c"), false, IdeDriveOption.NEXT_FREE));
        assertArrayEquals(new int[] {1, 0, 2}, IdeDriveOption.positions(drives));
        assertThrows(IllegalArgumentException.class, () -> IdeDriveOption.positions(List.of(
                new IdeDriveOption(Path.of("a"), false, 1), new IdeDriveOption(Path.of("b"), false, 1))));
        assertThrows(IllegalArgumentException.class, () -> IdeDriveOption.positions(List.of(
                new IdeDriveOption(Path.of("a"), false, IdeDriveOption.NEXT_FREE), new IdeDriveOption(Path.of("b"), false, IdeDriveOption.NEXT_FREE), new IdeDriveOption(Path.of("c"), false, IdeDriveOption.NEXT_FREE),
                new IdeDriveOption(Path.of("d"), false, IdeDriveOption.NEXT_FREE), new IdeDriveOption(Path.of("e"), false, IdeDriveOption.NEXT_FREE))));
    }
}
