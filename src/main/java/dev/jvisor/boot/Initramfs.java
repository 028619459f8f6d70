package dev.jvisor.boot;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * Builds an initramfs: a set of paths (directories, files, symlinks, device nodes) written as a
 * newc cpio archive, optionally gzip-compressed. Missing parent directories are created (0755)
 * before their children; adding an existing path replaces its entry in place. The output is
 * reproducible: the same calls in the same order give the same bytes (the gzip header carries
 * no time stamp or name).
 */
public final class Initramfs {
    private sealed interface Node {}

    private record Dir(int perm) implements Node {}

    private record File(int perm, byte[] data) implements Node {}

    private record Link(String target) implements Node {}

    private record Dev(boolean block, int perm, int major, int minor) implements Node {}

    private final Map<String, Node> nodes = new LinkedHashMap<>();

    public Initramfs directory(String path, int perm) {
        return put(path, new Dir(perm));
    }

    public Initramfs file(String path, int perm, byte[] data) {
        return put(path, new File(perm, data.clone()));
    }

    /** Adds a host file's contents; a missing or unreadable file is a BootException naming it. */
    public Initramfs file(String path, int perm, Path hostFile) throws BootException {
        return put(path, new File(perm, HostFiles.read(hostFile)));
    }

    public Initramfs symlink(String path, String target) {
        return put(path, new Link(target));
    }

    public Initramfs charDevice(String path, int perm, int major, int minor) {
        return put(path, new Dev(false, perm, major, minor));
    }

    public Initramfs blockDevice(String path, int perm, int major, int minor) {
        return put(path, new Dev(true, perm, major, minor));
    }

    /** /dev/console (c 5 1), /dev/null (c 1 3), /dev/ttyS0 (c 4 64), /dev/hvc0 (c 229 0). */
    public Initramfs standardDevices() {
        charDevice("/dev/console", 0600, 5, 1);
        charDevice("/dev/null", 0666, 1, 3);
        charDevice("/dev/ttyS0", 0660, 4, 64);
        charDevice("/dev/hvc0", 0660, 229, 0);
        return this;
    }

    public boolean contains(String path) {
        return nodes.containsKey(CpioWriter.normalize(path));
    }

    private Initramfs put(String path, Node node) {
        String name = CpioWriter.normalize(path);
        int slash = name.lastIndexOf('/');
        if (slash > 0) {
            String parent = name.substring(0, slash);
            Node p = nodes.get(parent);
            if (p == null) {
                put(parent, new Dir(0755));
            } else if (!(p instanceof Dir)) {
                throw new IllegalArgumentException("initramfs: parent of " + name + " is not a directory");
            }
        }
        nodes.put(name, node);
        return this;
    }

    /** The uncompressed newc cpio archive. */
    public byte[] cpio() {
        CpioWriter w = new CpioWriter();
        for (Map.Entry<String, Node> e : nodes.entrySet()) {
            String p = e.getKey();
            switch (e.getValue()) {
                case Dir d -> w.directory(p, d.perm());
                case File f -> w.file(p, f.perm(), f.data());
                case Link l -> w.symlink(p, l.target());
                case Dev d when d.block() -> w.blockDevice(p, d.perm(), d.major(), d.minor());
                case Dev d -> w.charDevice(p, d.perm(), d.major(), d.minor());
            }
        }
        return w.finish();
    }

    /**
     * The archive in gzip format, as the kernel's initramfs unpacker takes it, with deflate's
     * stored blocks (level 0): the archive is a few MiB and lives in guest RAM only until it is
     * unpacked, while inflating compressed blocks costs the guest ~0.1 s of interpreted
     * instructions per MiB; stored blocks unpack as plain copies.
     */
    public byte[] gzip() {
        return gzip(cpio());
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream(data.length + data.length / 1000 + 64);
        try (GZIPOutputStream gz = new StoredGzip(bos)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen: in-memory streams
        }
        return bos.toByteArray();
    }

    /** gzip with deflate level 0 (stored blocks). */
    private static final class StoredGzip extends GZIPOutputStream {
        StoredGzip(ByteArrayOutputStream out) throws IOException {
            super(out, 65536);
            def.setLevel(java.util.zip.Deflater.NO_COMPRESSION);
        }
    }
}
