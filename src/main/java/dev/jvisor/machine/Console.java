package dev.jvisor.machine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.IntConsumer;

/**
 * The serial console: guest output to a stream (buffered, flushed at line ends and when the guest
 * idles), host input from a stream on its own thread into the UART with back-pressure. On a
 * terminal, Ctrl-A x quits, Ctrl-A s prints the exit table, Ctrl-A Ctrl-A sends Ctrl-A (as QEMU).
 */
public final class Console implements IntConsumer {
    /** The guest side of the console: the UART's receive path. */
    public interface Receiver {
        int rxSpace();

        boolean receive(int b);
    }

    private final OutputStream out;
    private final byte[] buf = new byte[8192];
    private int len;

    public Console(OutputStream out) {
        this.out = out;
    }

    @Override
    public synchronized void accept(int b) {
        if (out == null) {
            return;
        }
        buf[len++] = (byte) b;
        if (b == '\n' || len == buf.length) {
            flush();
        }
    }

    public synchronized void flush() {
        if (out == null || len == 0) {
            return;
        }
        try {
            out.write(buf, 0, len);
            out.flush();
        } catch (IOException e) {
            // the terminal went away: drop output, the guest keeps running
        }
        len = 0;
    }

    /**
     * Starts the input thread: bytes from in go to the receiver as space allows. Escape handling
     * only when escapes is true (a terminal). onQuit/onStats run for Ctrl-A x / Ctrl-A s;
     * onInput is called after bytes were queued (to wake the vCPU).
     */
    public Thread startInput(InputStream in, Receiver rx, boolean escapes, Runnable onQuit, Runnable onStats,
            Runnable onInput) {
        Thread t = new Thread(() -> {
            boolean escape = false;
            try {
                int b;
                while ((b = in.read()) >= 0) {
                    if (escapes) {
                        if (escape) {
                            escape = false;
                            if (b == 'x') {
                                onQuit.run();
                                return;
                            }
                            if (b == 's') {
                                onStats.run();
                                continue;
                            }
                            if (b != 1) {
                                continue;
                            }
                        } else if (b == 1) {
                            escape = true;
                            continue;
                        }
                    }
                    while (rx.rxSpace() == 0) {
                        onInput.run();
                        Thread.sleep(2);
                    }
                    rx.receive(b);
                    onInput.run();
                }
            } catch (IOException | InterruptedException e) {
                // input closed: nothing more to send
            }
        }, "console-input");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
