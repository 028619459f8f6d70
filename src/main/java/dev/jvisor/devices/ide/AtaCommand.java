package dev.jvisor.devices.ide;

/** Command register opcodes this drive implements (ATA/ATAPI-6 section 8, table in annex B). */
final class AtaCommand {
    private AtaCommand() { }

    static final int DEVICE_RESET = 0x08;
    static final int RECALIBRATE = 0x10; // 0x10-0x1F, obsolete
    static final int READ_SECTORS = 0x20;
    static final int READ_SECTORS_NORETRY = 0x21;
    static final int READ_SECTORS_EXT = 0x24;
    static final int READ_DMA_EXT = 0x25;
    static final int READ_MULTIPLE_EXT = 0x29;
    static final int WRITE_SECTORS = 0x30;
    static final int WRITE_SECTORS_NORETRY = 0x31;
    static final int WRITE_SECTORS_EXT = 0x34;
    static final int WRITE_DMA_EXT = 0x35;
    static final int WRITE_MULTIPLE_EXT = 0x39;
    static final int READ_VERIFY = 0x40;
    static final int READ_VERIFY_NORETRY = 0x41;
    static final int READ_VERIFY_EXT = 0x42;
    static final int SEEK = 0x70; // 0x70-0x7F
    static final int EXECUTE_DEVICE_DIAGNOSTIC = 0x90;
    static final int INITIALIZE_DEVICE_PARAMETERS = 0x91;
    static final int READ_MULTIPLE = 0xC4;
    static final int WRITE_MULTIPLE = 0xC5;
    static final int SET_MULTIPLE_MODE = 0xC6;
    static final int READ_DMA = 0xC8;
    static final int READ_DMA_NORETRY = 0xC9;
    static final int WRITE_DMA = 0xCA;
    static final int WRITE_DMA_NORETRY = 0xCB;
    static final int STANDBY_IMMEDIATE = 0xE0;
    static final int IDLE_IMMEDIATE = 0xE1;
    static final int STANDBY = 0xE2;
    static final int IDLE = 0xE3;
    static final int CHECK_POWER_MODE = 0xE5;
    static final int SLEEP = 0xE6;
    static final int FLUSH_CACHE = 0xE7;
    static final int FLUSH_CACHE_EXT = 0xEA;
    static final int IDENTIFY_DEVICE = 0xEC;
    static final int SET_FEATURES = 0xEF;

    // SET FEATURES subcommands (8.37.1)
    static final int FEATURE_WRITE_CACHE_ON = 0x02;
    static final int FEATURE_TRANSFER_MODE = 0x03;
    static final int FEATURE_LOOKAHEAD_OFF = 0x55;
    static final int FEATURE_WRITE_CACHE_OFF = 0x82;
    static final int FEATURE_LOOKAHEAD_ON = 0xAA;
}
