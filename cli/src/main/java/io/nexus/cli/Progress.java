package io.nexus.cli;

import java.io.Console;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.util.Locale;

/**
 * Progress of long work on standard error: on a terminal one bar redrawn in place ({@code \r}, plain ANSI, no
 * library: a bar needs nothing but a carriage return and erase-line, and a terminal library would add a native
 * dependency to the jar), with rate and ETA; otherwise (a pipe, a file, CI) a plain line every 10 % or 5 seconds,
 * so logs stay readable. The bar is always finished with a newline, also on failure ({@link #close()}).
 */
final class Progress implements AutoCloseable {
    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final long PLAIN_NANOS = 5_000_000_000L;

    private final PrintWriter err;
    private final String label;
    private final boolean terminal;
    private final long started = System.nanoTime();
    private long total;
    private long done;
    private long lastDrawn = Long.MIN_VALUE;
    private long lastPlainPercent = -1;
    private boolean closed;

    Progress(PrintWriter err, String label, long total, boolean terminal) {
        this.err = err;
        this.label = label;
        this.total = Math.max(total, 0);
        this.terminal = terminal;
        draw(true);
    }

    /**
     * Whether to draw a bar: {@code NEXUS_PROGRESS=bar} or {@code plain} decides; otherwise whether the process runs
     * on a terminal. Up to JDK 21 {@link System#console()} is null unless stdin and stdout are a terminal; from JDK 22
     * on it always exists and {@code Console.isTerminal()} (called reflectively, as the build targets 17) says.
     */
    @SuppressWarnings("SystemConsoleNull") // the JDK 22 case is handled by isTerminal() below
    static boolean onTerminal() {
        String forced = System.getenv("NEXUS_PROGRESS");
        if (forced != null && !forced.isBlank()) {
            return forced.equals("bar");
        }
        Console console = System.console();
        if (console == null || "dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        try {
            Method isTerminal = Console.class.getMethod("isTerminal");
            return Boolean.TRUE.equals(isTerminal.invoke(console));
        } catch (NoSuchMethodException e) {
            return true; // JDK 17 to 21: a console exists only on a terminal
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    /** Sets how much is done; the total grows if {@code done} passes it (new events while replaying). */
    void update(long done, long total) {
        this.done = done;
        this.total = Math.max(total, done);
        draw(false);
    }

    void update(long done) {
        update(done, total);
    }

    private void draw(boolean force) {
        long now = System.nanoTime();
        if (terminal) {
            if (force || now - lastDrawn >= REDRAW_NANOS) {
                lastDrawn = now;
                err.print("\r\u001b[2K" + line(now, true));
                err.flush();
            }
            return;
        }
        long percent = total == 0 ? 100 : done * 100 / total;
        if (force || percent / 10 > lastPlainPercent / 10 || now - lastDrawn >= PLAIN_NANOS) {
            lastDrawn = now;
            lastPlainPercent = percent;
            err.println(line(now, false));
            err.flush();
        }
    }

    private String line(long now, boolean bar) {
        double seconds = Math.max((now - started) / 1e9, 1e-3);
        double rate = done / seconds;
        double fraction = total == 0 ? 1 : (double) done / total;
        String eta = rate > 0 && done < total ? duration((total - done) / rate) : done >= total ? "0s" : "?";
        StringBuilder text = new StringBuilder(label).append(' ');
        if (bar) {
            int filled = (int) Math.round(fraction * WIDTH);
            text.append('[')
                    .append("#".repeat(filled))
                    .append(".".repeat(WIDTH - filled))
                    .append("] ");
        }
        return text.append(String.format(
                        Locale.ROOT,
                        "%3d%% %,d/%,d  %,.0f/s  ETA %s",
                        (int) Math.floor(fraction * 100),
                        done,
                        total,
                        rate,
                        eta))
                .toString();
    }

    private static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600
                ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60)
                : s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }

    /** Finishes the bar: the last state drawn, then a newline on a terminal. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (terminal) {
            err.print("\r\u001b[2K" + line(System.nanoTime(), true) + System.lineSeparator());
        } else if (lastPlainPercent < 100 || done < total) {
            err.println(line(System.nanoTime(), false));
        }
        err.flush();
    }
}
