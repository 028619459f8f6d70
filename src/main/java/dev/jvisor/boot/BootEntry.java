package dev.jvisor.boot;

/**
 * CPU state at kernel entry, applied by the hypervisor: 32-bit protected mode, paging off,
 * interrupts off (EFLAGS = 0x2), CS = {@link #codeSelector} and DS = ES = SS = FS = GS =
 * {@link #dataSelector}, with segment caches loaded from the flat 4 GiB descriptors that the
 * loader wrote into the GDT at [{@link #gdtBase}, gdtBase + {@link #gdtLimit}] (see
 * {@link FlatGdt}). All fields are unsigned 32-bit values held in ints.
 */
public record BootEntry(
        int eip,
        int esp,
        int eax,
        int ebx,
        int ecx,
        int edx,
        int esi,
        int edi,
        int ebp,
        int gdtBase,
        int gdtLimit,
        int codeSelector,
        int dataSelector) {

    /** The initial EFLAGS value: only the reserved bit 1 set (IF = 0). */
    public static final int EFLAGS = 0x2;

    @Override
    public String toString() {
        return String.format(
                "BootEntry[eip=%08x esp=%08x eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x ebp=%08x"
                        + " gdt=%08x/%04x cs=%04x ds=%04x]",
                eip, esp, eax, ebx, ecx, edx, esi, edi, ebp, gdtBase, gdtLimit, codeSelector, dataSelector);
    }
}
