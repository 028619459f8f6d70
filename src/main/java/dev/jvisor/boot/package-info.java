/**
 * Boot: everything between a host file and the first guest instruction.
 *
 * <p>Kernel loading ({@link dev.jvisor.boot.KernelLoader} dispatches on
 * {@link dev.jvisor.boot.KernelFormat}):
 * <ul>
 *   <li>{@link dev.jvisor.boot.LinuxLoader}: Linux 32-bit boot protocol, bzImage (protocol 2.06+)
 *       or ELF vmlinux; zero page, command line, initrd, e820 map.</li>
 *   <li>{@link dev.jvisor.boot.MultibootLoader}: multiboot v1, ELF or a.out kludge, modules in
 *       QEMU's {@code -initrd "file args,file2"} syntax.</li>
 * </ul>
 * Both write the flat boot GDT ({@link dev.jvisor.boot.FlatGdt}) and return a
 * {@link dev.jvisor.boot.BootEntry} for the hypervisor to apply. Guest-physical layout:
 * {@link dev.jvisor.boot.BootLayout}. Memory map: {@link dev.jvisor.boot.E820Map}.
 *
 * <p>Initramfs: {@link dev.jvisor.boot.CpioWriter} (newc) and {@link dev.jvisor.boot.Initramfs}
 * (tree builder, gzip). Default guest: {@link dev.jvisor.boot.GuestFetcher} downloads Debian's
 * i386 kernel and busybox with a private apt state into {@link dev.jvisor.boot.CacheDir};
 * {@link dev.jvisor.boot.DefaultGuest} builds the busybox initramfs and holds the default
 * command line and memory size.
 *
 * <p>Every problem with host input is a {@link dev.jvisor.boot.BootException} with a one-line
 * message naming the file. Guest RAM is written only through {@link dev.jvisor.bus.GuestMemory}.
 */
package dev.jvisor.boot;
