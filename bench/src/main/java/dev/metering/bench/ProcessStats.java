package dev.metering.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time and resident memory of a process, and the machine's steal time, read from /proc (Linux). */
final class ProcessStats {
    private static final double TICKS_PER_SECOND = 100.0; // USER_HZ on Linux

    private ProcessStats() {
    }

    /** User plus system CPU seconds used so far by a process and its descendants (nginx's workers). */
    static double cpuSeconds(Process p) throws IOException {
        double sum = cpuSeconds(p.pid());
        for (ProcessHandle child : p.descendants().toList()) {
            sum += orZero(() -> cpuSeconds(child.pid()));
        }
        return sum;
    }

    /** Resident set size in MiB of a process and its descendants. */
    static double rssMiB(Process p) throws IOException {
        double sum = rssMiB(p.pid());
        for (ProcessHandle child : p.descendants().toList()) {
            sum += orZero(() -> rssMiB(child.pid()));
        }
        return sum;
    }

    private interface Reading {
        double read() throws IOException;
    }

    /** A descendant that exited between listing and reading counts nothing. */
    private static double orZero(Reading reading) {
        try {
            return reading.read();
        } catch (IOException e) {
            return 0;
        }
    }

    private static double cpuSeconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
    }

    private static double rssMiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        return -1;
    }

    /** The machine's CPU time so far, all of it and the part the hypervisor stole, in ticks. */
    record MachineTicks(long total, long steal) {
        static MachineTicks now() throws IOException {
            String cpu = Files.readAllLines(Path.of("/proc/stat")).get(0); // "cpu  user nice system idle ... steal ..."
            String[] f = cpu.trim().split("\\s+");
            long total = 0;
            for (int i = 1; i <= 8 && i < f.length; i++) { // user .. steal; guest time is inside user already
                total += Long.parseLong(f[i]);
            }
            return new MachineTicks(total, f.length > 8 ? Long.parseLong(f[8]) : 0);
        }

        /** Percent of the CPU time since {@code earlier} that was stolen. */
        double stealPercentSince(MachineTicks earlier) {
            long dt = total - earlier.total;
            return dt <= 0 ? 0 : 100.0 * (steal - earlier.steal) / dt;
        }
    }
}
