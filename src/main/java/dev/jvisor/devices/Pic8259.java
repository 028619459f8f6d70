package dev.jvisor.devices;

/**
 * One Intel 8259A programmable interrupt controller (datasheet 231468): the IRR/ISR/IMR
 * registers, the ICW1-ICW4 initialisation sequence, OCW1-OCW3, priority resolution with
 * rotation, auto-EOI, special mask and special fully nested modes, poll mode, and edge or level
 * sensing per input (ICW1.LTIM for the whole chip, or the PIIX ELCR bit per input).
 *
 * <p>Not thread-safe on its own: {@link DualPic} owns two of these under one lock.
 */
public final class Pic8259 {
    private final boolean master;
    /** Inputs that can never be level-triggered through the ELCR (PIIX3: IRQ0-2, 8, 13). */
    private final int elcrWritable;

    private int irr;
    private int isr;
    private int imr;
    /** Current level of the eight IR input pins. */
    private int lines;
    /** Edge/level control (ELCR): 1 = level-sensitive input. */
    private int elcr;
    /** Inputs sensed as levels regardless of ELCR (the master's cascade input, see DualPic). */
    private int forcedLevel;

    /** IR with the lowest priority; the highest is (lowest + 1) mod 8 (OCW2 rotation). */
    private int lowestPriority = 7;
    private int vectorBase;
    private int icw3;
    /** 0 = operational, 2/3/4 = waiting for that ICW on the data port. */
    private int initStep;
    private boolean needIcw4;
    private boolean single;
    private boolean levelTriggeredAll;
    private boolean autoEoi;
    private boolean rotateOnAutoEoi;
    private boolean specialFullyNested;
    private boolean specialMask;
    private boolean readIsr;
    private boolean poll;

    public Pic8259(boolean master, int elcrWritable) {
        this.master = master;
        this.elcrWritable = elcrWritable & 0xff;
    }

    // ---- input pins ----

    /** Drives IR pin {@code pin} (0-7). Edge inputs latch IRR on the rising edge (datasheet "Edge Triggered Mode"). */
    public void setInput(int pin, boolean high) {
        int bit = 1 << (pin & 7);
        if ((levelMask() & bit) != 0) {
            irr = high ? irr | bit : irr & ~bit;
        } else if (high && (lines & bit) == 0) {
            irr |= bit;
        }
        lines = high ? lines | bit : lines & ~bit;
    }

    /** Makes inputs sense levels whatever ELCR says (used for the cascade input). */
    public void setForcedLevel(int mask) {
        forcedLevel = mask & 0xff;
        resyncLevelInputs();
    }

    public int elcr() {
        return elcr;
    }

    /** ELCR write (PIIX3 ports 0x4D0/0x4D1); bits for edge-only inputs stay clear. */
    public void setElcr(int value) {
        elcr = value & elcrWritable;
        resyncLevelInputs();
    }

    private int levelMask() {
        return (levelTriggeredAll ? 0xff : elcr) | forcedLevel;
    }

    private void resyncLevelInputs() {
        int lvl = levelMask();
        irr = (irr & ~lvl) | (lines & lvl);
    }

    // ---- priority resolution (datasheet "Priority Resolver") ----

    private int priorityOf(int irq) {
        return (irq - lowestPriority - 1) & 7;
    }

    /** Highest-priority IR whose bit is set in {@code mask}, or -1. */
    private int highest(int mask) {
        if ((mask & 0xff) == 0) {
            return -1;
        }
        for (int i = 0; i < 8; i++) {
            int irq = (lowestPriority + 1 + i) & 7;
            if ((mask & (1 << irq)) != 0) {
                return irq;
            }
        }
        return -1;
    }

    /** The IR this chip would present to the CPU now, or -1 if none (masked, blocked by ISR, or initialising). */
    public int pendingIrq() {
        if (initStep != 0) {
            return -1;
        }
        int request = irr & ~imr & 0xff;
        int best = highest(request);
        if (best < 0) {
            return -1;
        }
        int inService = isr;
        if (specialMask) {
            inService &= ~imr; // masked in-service levels do not block (special mask mode)
        }
        if (master && specialFullyNested && !single) {
            inService &= ~icw3; // slave inputs may interrupt again while in service (SFNM)
        }
        int current = highest(inService);
        return current < 0 || priorityOf(best) < priorityOf(current) ? best : -1;
    }

    /** The INT output pin. */
    public boolean output() {
        return pendingIrq() >= 0;
    }

    /**
     * The chip's part of an INTA cycle: picks the pending IR, moves it from IRR to ISR (or not,
     * in auto-EOI mode) and returns it, or returns -1 when nothing is pending any more, which
     * the caller turns into the spurious IR7 vector without touching ISR.
     */
    public int acknowledgeIrq() {
        int irq = pendingIrq();
        if (irq < 0) {
            return -1;
        }
        int bit = 1 << irq;
        if ((levelMask() & bit) == 0) {
            irr &= ~bit;
        }
        if (autoEoi) {
            if (rotateOnAutoEoi) {
                lowestPriority = irq;
            }
        } else {
            isr |= bit;
        }
        return irq;
    }

    public int vector(int irq) {
        return (vectorBase | (irq & 7)) & 0xff;
    }

    public boolean isMaster() {
        return master;
    }

    public boolean singleMode() {
        return single;
    }

    /** ICW3 of a master: bit n set means a slave hangs on IR n. */
    public int cascadeInputs() {
        return single ? 0 : icw3 & 0xff;
    }

    public int irr() {
        return irr;
    }

    public int isr() {
        return isr;
    }

    public int imr() {
        return imr;
    }

    // ---- port interface (A0 = 0: command port, A0 = 1: data port) ----

    public void writeCommand(int value) {
        int v = value & 0xff;
        if ((v & 0x10) != 0) {
            icw1(v);
        } else if ((v & 0x08) != 0) {
            ocw3(v);
        } else {
            ocw2(v);
        }
    }

    public void writeData(int value) {
        int v = value & 0xff;
        switch (initStep) {
            case 2 -> { // ICW2: T7-T3 of the vector
                vectorBase = v & 0xf8;
                initStep = single ? (needIcw4 ? 4 : 0) : 3;
            }
            case 3 -> { // ICW3: slave map (master) or slave id (slave)
                icw3 = v;
                initStep = needIcw4 ? 4 : 0;
            }
            case 4 -> { // ICW4: uPM (8086 mode assumed), AEOI, BUF/MS (wiring decides), SFNM
                autoEoi = (v & 0x02) != 0;
                specialFullyNested = (v & 0x10) != 0;
                initStep = 0;
            }
            default -> imr = v; // OCW1
        }
    }

    public int readCommand() {
        if (poll) {
            poll = false;
            int irq = acknowledgeIrq();
            return irq < 0 ? 0 : 0x80 | irq; // poll word: I bit + W2-W0
        }
        return readIsr ? isr : irr;
    }

    public int readData() {
        return imr;
    }

    private void icw1(int v) {
        // Datasheet "Initialization Command Words": IMR cleared, IR7 lowest priority, special
        // mask cleared, status read set to IRR, edge-sense latches reset; ICW4 defaults to 0.
        initStep = 2;
        needIcw4 = (v & 0x01) != 0;
        single = (v & 0x02) != 0;
        levelTriggeredAll = (v & 0x08) != 0;
        imr = 0;
        isr = 0;
        irr = 0;
        resyncLevelInputs();
        lowestPriority = 7;
        specialMask = false;
        readIsr = false;
        poll = false;
        rotateOnAutoEoi = false;
        if (!needIcw4) {
            autoEoi = false;
            specialFullyNested = false;
        }
    }

    private void ocw2(int v) {
        int level = v & 7;
        switch (v >>> 5) {
            case 0b001 -> nonSpecificEoi(false);
            case 0b101 -> nonSpecificEoi(true);
            case 0b011 -> isr &= ~(1 << level);
            case 0b111 -> {
                isr &= ~(1 << level);
                lowestPriority = level;
            }
            case 0b110 -> lowestPriority = level; // set priority command
            case 0b100 -> rotateOnAutoEoi = true;
            case 0b000 -> rotateOnAutoEoi = false;
            default -> { } // 0b010: no operation
        }
    }

    private void nonSpecificEoi(boolean rotate) {
        int irq = highest(isr);
        if (irq >= 0) {
            isr &= ~(1 << irq);
            if (rotate) {
                lowestPriority = irq;
            }
        }
    }

    private void ocw3(int v) {
        if ((v & 0x40) != 0) {
            specialMask = (v & 0x20) != 0; // ESMM + SMM
        }
        if ((v & 0x04) != 0) {
            poll = true;
        }
        if ((v & 0x02) != 0) {
            readIsr = (v & 0x01) != 0; // RR + RIS
        }
    }
}
