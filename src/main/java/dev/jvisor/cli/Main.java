package dev.jvisor.cli;

/** Command-line entry point; the run command arrives with the Linux boot issue. */
public final class Main {
    private Main() { }

    public static void main(String[] args) {
        System.err.println("jvisor: the run command is not built yet (early bring-up)");
        System.exit(1);
    }
}
