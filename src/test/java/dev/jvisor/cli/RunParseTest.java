package dev.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** `jvisor run`'s own option parser (Main.Run.parse) against picocli's reading of the same annotations. */
class RunParseTest {
    private static Object sample(Field f) {
        Class<?> t = f.getType();
        if (t == Path.class) {
            return "/tmp/some file";
        } else if (t == Double.class) {
            return "2.5";
        } else if (t == List.class) {
            return "file=/tmp/disk.img,if=virtio";
        }
        return "value with spaces=1";
    }

    private static Object[] fields(Main.Run r) throws IllegalAccessException {
        List<Object> v = new ArrayList<>();
        for (Field f : Main.Run.class.getDeclaredFields()) {
            if (f.isAnnotationPresent(Option.class)) {
                f.setAccessible(true);
                v.add(f.get(r));
            }
        }
        return v.toArray();
    }

    @Test
    void everyOptionOfEveryNameIsParsedAsPicocliParsesIt() throws Exception {
        int options = 0;
        for (Field f : Main.Run.class.getDeclaredFields()) {
            Option o = f.getAnnotation(Option.class);
            if (o == null) {
                continue;
            }
            options++;
            for (String name : o.names()) {
                List<String[]> forms = new ArrayList<>();
                if (f.getType() == boolean.class) {
                    forms.add(new String[] {name});
                } else {
                    String v = sample(f).toString();
                    forms.add(new String[] {name, v});
                    if (name.startsWith("--")) {
                        forms.add(new String[] {name + "=" + v});
                    }
                }
                for (String[] args : forms) {
                    Main.Run ours = Main.Run.parse(args);
                    assertNotNull(ours, "not parsed: " + String.join(" ", args));
                    Main.Run theirs = new Main.Run();
                    new CommandLine(theirs).parseArgs(args);
                    assertEquals(Arrays.asList(fields(theirs)), Arrays.asList(fields(ours)), String.join(" ", args));
                }
            }
        }
        assertEquals(18, options, "a new option: check that parse takes it");
    }

    @Test
    void defaultsAreTheOnesPicocliLeaves() throws Exception {
        Main.Run theirs = new Main.Run();
        new CommandLine(theirs).parseArgs();
        assertEquals(Arrays.asList(fields(theirs)), Arrays.asList(fields(Main.Run.parse())));
    }

    @Test
    void aTypicalCommandLine() {
        Main.Run r = Main.Run.parse("--kernel", "k", "--initrd", "i", "--append", "console=ttyS0 quiet", "--mem", "512M",
                "--accel", "bt", "--stats", "--drive", "file=a", "--drive", "file=b");
        assertNotNull(r);
        assertEquals(Path.of("k"), r.kernel);
        assertEquals("console=ttyS0 quiet", r.append);
        assertEquals("512M", r.mem);
        assertEquals("bt", r.accel);
        assertEquals(List.of("file=a", "file=b"), r.drives);
        assertEquals(true, r.stats);
    }

    @Test
    void anythingElseIsLeftToPicocli() {
        assertNull(Main.Run.parse("--help"));
        assertNull(Main.Run.parse("-h"));
        assertNull(Main.Run.parse("--version"));
        assertNull(Main.Run.parse("--bogus"));
        assertNull(Main.Run.parse("--mem"));
        assertNull(Main.Run.parse("--append", "--stats"));
        assertNull(Main.Run.parse("--stats=true"));
        assertNull(Main.Run.parse("--timeout", "soon"));
        assertNull(Main.Run.parse("stray"));
    }
}
