package dev.jvisor.machine;

import dev.jvisor.boot.BootEntry;
import dev.jvisor.boot.BootException;
import dev.jvisor.boot.DefaultGuest;
import dev.jvisor.boot.KernelLoader;
import dev.jvisor.boot.MpTable;
import dev.jvisor.boot.RngSeed;
import dev.jvisor.bus.PortBus;
import dev.jvisor.cpu.Segment;
import dev.jvisor.cpu.Vcpu;
import dev.jvisor.devices.A20Gate;
import dev.jvisor.devices.DebugExit;
import dev.jvisor.devices.DualPic;
import dev.jvisor.devices.I8042;
import dev.jvisor.devices.Pit8254;
import dev.jvisor.devices.PostCodePort;
import dev.jvisor.devices.Rtc146818;
import dev.jvisor.devices.SystemControlPortA;
import dev.jvisor.devices.SystemControlPortB;
import dev.jvisor.devices.Uart16550;
import dev.jvisor.devices.apic.LocalApic;
import dev.jvisor.devices.pci.BusBarMapper;
import dev.jvisor.devices.pci.I440fxPmc;
import dev.jvisor.devices.pci.PciBarAllocator;
import dev.jvisor.devices.pci.PciHostBridge;
import dev.jvisor.devices.pci.Piix3IsaBridge;
import dev.jvisor.devices.block.DiskImage;
import dev.jvisor.devices.ide.IdeDriveOption;
import dev.jvisor.devices.ide.Piix3Ide;
import dev.jvisor.devices.virtio.VirtioBlk;
import dev.jvisor.devices.virtio.VirtioConsole;
import dev.jvisor.devices.virtio.VirtioRng;
import dev.jvisor.vmm.KvmParavirt;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import dev.jvisor.vmm.InterruptController;
import dev.jvisor.vmm.Vm;
import java.io.OutputStream;
import java.util.function.Consumer;

/**
 * A PC built explicitly from its parts (the Firecracker builder style): RAM with the PC memory
 * map, the legacy devices at their ISA ports and IRQs, the boot loader's entry state applied to
 * the vCPU. Nothing is discovered or wired implicitly.
 */
public final class PcMachine implements AutoCloseable {
    private final MachineConfig config;
    private final Vm vm;
    private final DualPic pic;
    private final LocalApic apic;
    private final Uart16550 com1;
    private final Console console;
    private final PciHostBridge pci;
    private final Piix3IsaBridge piix3;
    private final VirtioConsole hvc;
    private final Piix3Ide ide;
    private final List<DiskImage> images = new ArrayList<>();

    public PcMachine(MachineConfig config, OutputStream serialOut, Consumer<String> progress) throws BootException {
        this.config = config;
        this.vm = new Vm((int) config.memBytes(), config.icount());
        PortBus ports = vm.ports();

        pic = new DualPic(vm::interruptLine);
        if (config.pv()) {
            // the para-virtual machine has a local APIC (TSC-deadline timer, PV EOI) with the PIC on LINT0;
            // the legacy PC has none: the PIC's INTR is the CPU's
            apic = new LocalApic(pic, vm.clock(), vm.vcpu()::readTsc, vm.ram());
            vm.mmio().register(LocalApic.DEFAULT_BASE, LocalApic.PAGE_SIZE, apic);
            vm.addTimed(apic);
            vm.setMsrDevice(apic);
        } else {
            apic = null;
        }
        vm.setInterruptController(new InterruptController() {
            @Override
            public boolean hasInterrupt() {
                return apic != null ? apic.hasInterrupt() : pic.hasInterrupt();
            }

            @Override
            public int acknowledge() {
                return apic != null ? apic.acknowledge() : pic.acknowledge();
            }
        });
        ports.register(DualPic.MASTER_BASE, DualPic.PORT_COUNT, pic);
        ports.register(DualPic.SLAVE_BASE, DualPic.PORT_COUNT, pic);
        ports.register(DualPic.ELCR_BASE, DualPic.ELCR_PORT_COUNT, pic);

        Pit8254 pit = new Pit8254(vm.clock(), pic.irq(0));
        ports.register(Pit8254.BASE, Pit8254.PORT_COUNT, pit);
        ports.register(SystemControlPortB.PORT, SystemControlPortB.PORT_COUNT, new SystemControlPortB(pit));
        vm.addTimed(pit);

        Rtc146818 rtc = config.rtcBase() == null ? new Rtc146818(vm.clock(), pic.irq(Rtc146818.IRQ))
                : new Rtc146818(vm.clock(), pic.irq(Rtc146818.IRQ), config.rtcBase());
        rtc.setMemorySize(config.memBytes());
        ports.register(Rtc146818.BASE, Rtc146818.PORT_COUNT, rtc);
        vm.addTimed(rtc);

        console = new Console(serialOut);
        com1 = new Uart16550(Uart16550.COM1, pic.irq(Uart16550.COM1_IRQ), console);
        ports.register(Uart16550.COM1, Uart16550.PORT_COUNT, com1);
        ports.register(Uart16550.COM2, Uart16550.PORT_COUNT, new Uart16550(Uart16550.COM2, pic.irq(Uart16550.COM2_IRQ), b -> { }));
        ports.register(Uart16550.COM3, Uart16550.PORT_COUNT, new Uart16550(Uart16550.COM3, pic.irq(Uart16550.COM3_IRQ), b -> { }));
        ports.register(Uart16550.COM4, Uart16550.PORT_COUNT, new Uart16550(Uart16550.COM4, pic.irq(Uart16550.COM4_IRQ), b -> { }));
        vm.setIdleHook(console::flush);

        Runnable reset = () -> vm.stop(Vm.StopReason.RESET, 0);
        A20Gate a20 = new A20Gate(on -> { }, true); // RAM is not wrapped at 1 MiB: A20 stays enabled
        I8042 kbc = new I8042(pic.irq(1), reset, a20);
        ports.register(I8042.DATA_PORT, 1, kbc);
        ports.register(I8042.STATUS_PORT, 1, kbc);
        ports.register(SystemControlPortA.PORT, SystemControlPortA.PORT_COUNT, new SystemControlPortA(a20, reset));
        ports.register(PostCodePort.PORT, PostCodePort.PORT_COUNT, new PostCodePort());
        ports.register(DebugExit.DEFAULT_PORT, 4, new DebugExit(DebugExit.DEFAULT_PORT, 4,
                status -> vm.stop(Vm.StopReason.DEBUG_EXIT, status)));
        vm.vcpu().ferr = () -> pic.irq(13).pulse();

        // PCI: i440FX host bridge at 00:00.0, PIIX3 ISA bridge at 00:01.0; BARs assigned as firmware would
        pci = new PciHostBridge(new BusBarMapper(ports, vm.mmio()), reset);
        ports.register(PciHostBridge.BASE, PciHostBridge.PORT_COUNT, pci);
        pci.attach(0, 0, new I440fxPmc());
        piix3 = new Piix3IsaBridge(pic::irq);
        pci.attach(1, 0, piix3);

        // the PIIX3's IDE function (00:01.1) with the if=ide drives, legacy ports and IRQ 14/15;
        // attached after the drives are known: under --pv without an IDE drive it is left out
        List<IdeDriveOption> ideDrives = new ArrayList<>();
        int slot = 3;
        try {
            for (DriveSpec d : config.drives()) {
                if (d.iface().equals("ide")) {
                    if (d.index() != DriveSpec.NEXT_FREE && (d.index() < 0 || d.index() >= Piix3Ide.MAX_DRIVES)) {
                        throw new BootException("--drive " + d.file() + ": index must be 0-3 for if=ide");
                    }
                    ideDrives.add(new IdeDriveOption(d.file(), d.readOnly(), d.index()));
                } else {
                    DiskImage image = DiskImage.open(d.file(), d.readOnly());
                    images.add(image);
                    pci.attach(slot++, 0, new VirtioBlk(vm.ram(), image));
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            closeImages();
            throw new BootException(e.getMessage());
        }
        if (hasIdeFunction(config.pv(), ideDrives.size())) {
            Piix3Ide ide = new Piix3Ide(vm.ram(), pic.irq(Piix3Ide.PRIMARY_IRQ), pic.irq(Piix3Ide.SECONDARY_IRQ));
            ide.registerLegacyPorts(ports);
            try {
                int[] at = IdeDriveOption.positions(ideDrives);
                for (int i = 0; i < ideDrives.size(); i++) {
                    ide.attach(at[i], ideDrives.get(i).open());
                }
            } catch (IOException | IllegalArgumentException e) {
                try {
                    ide.closeDisks();
                } catch (IOException ignored) {
                    // already failing: the first error is the one reported
                }
                closeImages();
                throw new BootException(e.getMessage());
            }
            pci.attach(Piix3Ide.PCI_SLOT, Piix3Ide.PCI_FUNCTION, ide);
            this.ide = ide;
        } else {
            this.ide = null;
        }

        if (config.pv()) {
            // para-virtualization: the KVM interface Linux has built in, a virtio console and rng
            vm.setParavirt(new KvmParavirt(vm, config.invariantTsc(), apic != null));
            hvc = new VirtioConsole(vm.ram(), console, vm::wake);
            pci.attach(slot++, 0, hvc);
            pci.attach(slot++, 0, new VirtioRng(vm.ram()));
        } else {
            hvc = null;
        }
        PciBarAllocator.assign(pci, piix3, pic);

        BootEntry entry;
        if (config.kernel() == null) {
            DefaultGuest guest = DefaultGuest.open();
            String cmdline = config.append() != null ? config.append() : DefaultGuest.DEFAULT_CMDLINE;
            // --initrd without --kernel: the default kernel with that initramfs instead of ours (QEMU's -initrd)
            entry = config.initrd() == null ? guest.load(vm.ram(), cmdline, config.guestDecompress())
                    : KernelLoader.load(vm.ram(), guest.kernel(), config.initrd(), cmdline, config.guestDecompress());
        } else {
            entry = KernelLoader.load(vm.ram(), config.kernel(), config.initrd(),
                    config.append() != null ? config.append() : "", config.guestDecompress());
        }
        // what firmware's RDRAND would give Linux: a seed for its CRNG (fixed under --icount, for repeatable runs)
        RngSeed.attach(vm.ram(), entry, bootSeed(config.icount()));
        if (apic != null) {
            // Linux sets up the local APIC timer only when an MP table (or ACPI MADT) describes the APIC
            int[] leaf1 = new KvmParavirt(vm, config.invariantTsc(), true).cpuid(1, 0);
            MpTable.write(vm.ram(), LocalApic.DEFAULT_BASE, LocalApic.VERSION & 0xff, leaf1[0], leaf1[3]);
        }
        applyEntry(vm.vcpu(), entry);
    }

    /**
     * 32 random bytes for {@link RngSeed}: from the host kernel's /dev/urandom (where there is none, from
     * SecureRandom), or a fixed sequence for deterministic runs. SecureRandom reads the same device on Linux,
     * but its first use sets up the security providers: 10-25 ms before the guest's first instruction.
     */
    static byte[] bootSeed(boolean deterministic) {
        byte[] seed = new byte[RngSeed.SEED_BYTES];
        if (deterministic) {
            new SplittableRandom(0).nextBytes(seed);
            return seed;
        }
        try (java.io.FileInputStream in = new java.io.FileInputStream("/dev/urandom")) {
            if (in.readNBytes(seed, 0, seed.length) == seed.length) {
                return seed;
            }
        } catch (IOException e) {
            // no such device: SecureRandom finds another source
        }
        new SecureRandom().nextBytes(seed);
        return seed;
    }

    /** Puts the vCPU in the state the boot protocol promises: flat 32-bit protected mode, paging and interrupts off. */
    static void applyEntry(Vcpu c, BootEntry e) {
        c.gdtBase = e.gdtBase();
        c.gdtLimit = e.gdtLimit();
        c.idtBase = 0;
        c.idtLimit = 0;
        c.writeCr(0, Vcpu.CR0_PE | Vcpu.CR0_ET);
        c.setSegment(Segment.CS, e.codeSelector(), 0, -1, 0xc09b);
        for (int s : new int[] {Segment.ES, Segment.SS, Segment.DS, Segment.FS, Segment.GS}) {
            c.setSegment(s, e.dataSelector(), 0, -1, 0xc093);
        }
        c.updateCpl();
        c.reg[Vcpu.EAX] = e.eax();
        c.reg[Vcpu.EBX] = e.ebx();
        c.reg[Vcpu.ECX] = e.ecx();
        c.reg[Vcpu.EDX] = e.edx();
        c.reg[Vcpu.ESI] = e.esi();
        c.reg[Vcpu.EDI] = e.edi();
        c.reg[Vcpu.EBP] = e.ebp();
        c.reg[Vcpu.ESP] = e.esp();
        c.eip = e.eip();
        c.setEflags(BootEntry.EFLAGS);
    }

    /** Selects the CPU's execution engine before the machine runs: "interp" (default) or "bt" (binary translator). */
    public PcMachine setAccel(String accel) {
        vm.vcpu().setAccel(accel);
        return this;
    }

    public Vm vm() {
        return vm;
    }

    public Console console() {
        return console;
    }

    /** The local APIC of the --pv machine; null on the legacy PC. */
    public LocalApic apic() {
        return apic;
    }

    /** The PCI bus (its functions: the virtio devices' logs and counters, for tests and diagnostics). */
    public PciHostBridge pci() {
        return pci;
    }

    /**
     * Whether the machine has the PIIX3 IDE function (00:01.1 and the legacy ports 0x1f0/0x170):
     * always on the legacy PC; under --pv only when an if=ide drive asks for it, as a para-virtual
     * machine's disks are virtio-blk. An empty controller costs the guest a probe of two channels at
     * boot (ata_piix: ~1,000 port exits and its reset waits) for nothing.
     */
    static boolean hasIdeFunction(boolean pv, int ideDrives) {
        return !pv || ideDrives > 0;
    }

    /** The PIIX3 IDE function at 00:01.1; null when the machine has none (see {@link #hasIdeFunction}). */
    public Piix3Ide ide() {
        return ide;
    }

    /** Where typed input goes: the virtio console when the guest's console is hvc0, else COM1. */
    public Console.Receiver serialInput() {
        String append = config.append() == null ? "" : config.append();
        if (hvc != null && append.contains("console=hvc0")) {
            return new Console.Receiver() {
                @Override
                public int rxSpace() {
                    return hvc.rxSpace();
                }

                @Override
                public boolean receive(int b) {
                    return hvc.receive(b);
                }
            };
        }
        return new Console.Receiver() {
            @Override
            public int rxSpace() {
                return com1.rxSpace();
            }

            @Override
            public boolean receive(int b) {
                return com1.receive(b);
            }
        };
    }

    /** Flushes and closes the disk images (releasing their locks). */
    @Override
    public void close() throws IOException {
        if (ide != null) {
            ide.closeDisks();
        }
        for (DiskImage d : images) {
            d.close();
        }
    }

    private void closeImages() {
        for (DiskImage d : images) {
            try {
                d.close();
            } catch (IOException e) {
                // already failing: the first error is the one reported
            }
        }
    }

    public MachineConfig config() {
        return config;
    }
}
