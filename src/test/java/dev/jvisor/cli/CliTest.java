package dev.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run command's contract for bad host input and guest outcomes: one line and a status. */
class CliTest {
    @TempDir
    Path dir;

    private record Result(int status, String err) { }

    private static Result run(String... args) {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int status = Main.execute(args);
            return new Result(status, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
        }
    }

    private static void assertOneLine(Result r, String... fragments) {
        assertEquals(1, r.status(), r.err());
        assertEquals(1, r.err().strip().lines().count(), "expected one line, got:\n" + r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "missing '" + f + "' in: " + r.err());
        }
    }

    @Test
    void trainWithoutACachedGuestLeavesTheMarkerForTheLauncher() throws Exception {
        Path marker = dir.resolve("aot.noguest");
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        Result r;
        try {
            r = run("train", "--cache", dir.resolve("empty").toString(), "--no-guest-marker", marker.toString());
        } finally {
            System.setOut(oldOut);
        }
        assertEquals(0, r.status(), r.err());
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("no cached guest"), out.toString(StandardCharsets.UTF_8));
        assertEquals(dir.resolve("empty").resolve("guest").resolve("guest.properties").toString(),
                Files.readString(marker).trim());
    }

    @Test
    void aMissingInitrdForTheDefaultKernelIsOneLineAndStatus1() {
        // before, --initrd without --kernel was ignored and the default guest booted with its own initramfs
        assertOneLine(run("run", "--initrd", dir.resolve("nope.cpio.gz").toString(), "--serial", "none"), "nope.cpio.gz",
                "no such initrd file");
    }

    @Test
    void missingKernelIsOneLineAndStatus1() {
        assertOneLine(run("run", "--kernel", dir.resolve("nope").toString(), "--serial", "none"), "nope", "no such kernel file");
    }

    @Test
    void nonKernelFileIsRejected() throws Exception {
        Path f = dir.resolve("notes.txt");
        Files.writeString(f, "just some text, not a kernel\n".repeat(100));
        assertOneLine(run("run", "--kernel", f.toString(), "--serial", "none"), "notes.txt", "not a");
    }

    @Test
    void truncatedBzImageIsRejected() throws Exception {
        byte[] b = new byte[1024];
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        b[0x1f1] = 39; // setup_sects: the file would need 40 sectors
        bb.putShort(0x1fe, (short) 0xaa55);
        bb.putInt(0x202, 0x53726448); // "HdrS"
        bb.putShort(0x206, (short) 0x020f);
        Path f = dir.resolve("bzImage");
        Files.write(f, b);
        assertOneLine(run("run", "--kernel", f.toString(), "--serial", "none"), "bzImage");
    }

    @Test
    void zeroMemoryIsRejected() throws Exception {
        assertOneLine(run("run", "--mem", "0", "--kernel", tripleFaultKernel().toString(), "--serial", "none"), "memory");
    }

    @Test
    void memoryNotInWholePagesIsRejected() throws Exception {
        assertOneLine(run("run", "--mem", "4097K", "--kernel", tripleFaultKernel().toString(), "--serial", "none"),
                "memory size", "4 KiB pages");
    }

    @Test
    void badRtcBaseIsRejected() throws Exception {
        assertOneLine(run("run", "--rtc-base", "yesterday", "--kernel", tripleFaultKernel().toString(), "--serial", "none"),
                "--rtc-base", "yesterday");
    }

    @Test
    void unknownOptionIsRejected() {
        assertOneLine(run("run", "--frobnicate"), "frobnicate");
    }

    @Test
    void tripleFaultGivesADumpAndStatus2() throws Exception {
        Result r = run("run", "--kernel", tripleFaultKernel().toString(), "--serial", "none", "--mem", "16M");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("triple fault"), r.err());
        assertTrue(r.err().contains("EIP=") && r.err().contains("CR0="), r.err());
    }

    @Test
    void timeoutGivesStatus3() throws Exception {
        // a kernel that spins forever: jmp $
        Path k = multibootKernel(new byte[] {(byte) 0xeb, (byte) 0xfe});
        Result r = run("run", "--kernel", k.toString(), "--serial", "none", "--mem", "16M", "--timeout", "1");
        assertEquals(3, r.status(), r.err());
        assertTrue(r.err().contains("timeout"), r.err());
    }

    @Test
    void debugExitStatusIsQemus() throws Exception {
        // mov al, 0x21; out 0xf4, al  -> exit status (0x21 << 1) | 1
        Path k = multibootKernel(new byte[] {(byte) 0xb0, 0x21, (byte) 0xe6, (byte) 0xf4, (byte) 0xeb, (byte) 0xfe});
        Result r = run("run", "--kernel", k.toString(), "--serial", "none", "--mem", "16M");
        assertEquals((0x21 << 1) | 1, r.status(), r.err());
    }

    /** cli; lidt [empty IDT]; int3: #GP on delivery, #DF, then shutdown. */
    private Path tripleFaultKernel() throws Exception {
        int codeAt = 0x100000 + 96;
        int idtr = codeAt + 16;
        byte[] code = new byte[24];
        code[0] = (byte) 0xfa;
        code[1] = 0x0f;
        code[2] = 0x01;
        code[3] = 0x1d;
        ByteBuffer.wrap(code).order(ByteOrder.LITTLE_ENDIAN).putInt(4, idtr);
        code[8] = (byte) 0xcc;
        return multibootKernel(code);
    }

    /** A minimal multiboot v1 kernel with this code (see {@link dev.jvisor.boot.MultibootElf}). */
    private Path multibootKernel(byte[] code) throws Exception {
        return dev.jvisor.boot.MultibootElf.write(Files.createTempFile(dir, "mb", ".elf"), code);
    }
}
