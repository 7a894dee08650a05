package dev.enricher.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * CPU time of this process and of its Java threads, from the JVM's management beans. Thread-safe.
 *
 * <p>Limits: threads that end between two snapshots lose their time; GC, JIT compiler and native threads (e.g.
 * ONNX Runtime's intra-op pool when it has more than one thread) are not Java threads and appear only in the
 * process total.
 */
public final class CpuClock {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    static {
        if (THREADS.isThreadCpuTimeSupported() && !THREADS.isThreadCpuTimeEnabled()) {
            THREADS.setThreadCpuTimeEnabled(true);
        }
    }

    private CpuClock() {}

    /** CPU nanoseconds of the whole process (all threads, Java or not). */
    public static long process() {
        return OS.getProcessCpuTime();
    }

    /** CPU nanoseconds of the calling thread. */
    public static long currentThread() {
        return THREADS.getCurrentThreadCpuTime();
    }

    /** The system load average of the last minute, or a negative value where unknown. */
    public static double loadAverage() {
        return OS.getSystemLoadAverage();
    }

    /** Where the CPU time no Java thread accounts for went, as far as Linux's per-thread counters tell. */
    public static final String JIT = "JIT compiler threads";
    public static final String GC = "GC threads";

    /**
     * Per-thread CPU time at one moment, with the process total and, on Linux, the CPU time of the JVM's JIT and
     * GC threads (from {@code /proc/self/task}, 10 ms resolution).
     */
    public record Snapshot(long processNanos, Map<Long, Long> threadNanos, Map<Long, String> names,
                           Map<String, Long> vmNanos) {

        public static Snapshot take() {
            Map<String, Long> vm = vmThreads();
            long process = process();
            long[] ids = THREADS.getAllThreadIds();
            Map<Long, Long> cpu = new HashMap<>();
            Map<Long, String> names = new HashMap<>();
            ThreadInfo[] infos = THREADS.getThreadInfo(ids);
            for (int i = 0; i < ids.length; i++) {
                long t = THREADS.getThreadCpuTime(ids[i]);
                if (t >= 0 && infos[i] != null) {
                    cpu.put(ids[i], t);
                    names.put(ids[i], infos[i].getThreadName());
                }
            }
            return new Snapshot(process, cpu, names, vm);
        }

        private static Map<String, Long> vmThreads() {
            Map<String, Long> out = new HashMap<>();
            java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
            if (tasks == null) {
                return out;
            }
            for (java.io.File task : tasks) {
                try {
                    String comm = java.nio.file.Files.readString(task.toPath().resolve("comm")).trim();
                    String group = comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler") ? JIT
                            : comm.startsWith("GC Thread") || comm.startsWith("G1 ") ? GC : null;
                    if (group == null) {
                        continue;
                    }
                    String stat = java.nio.file.Files.readString(task.toPath().resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    out.merge(group, ticks * 10_000_000L, Long::sum);
                } catch (java.io.IOException | RuntimeException e) {
                    // a thread that ended meanwhile
                }
            }
            return out;
        }

        /**
         * CPU nanoseconds spent since {@code before}, summed per category of thread name, then {@link #JIT} and
         * {@link #GC} where known; the time nothing else accounts for (native threads such as the tokenizer's or
         * ONNX Runtime's pools, threads that ended) goes to {@code rest}.
         */
        public Map<String, Long> since(Snapshot before, Function<String, String> category, String rest) {
            Map<String, Long> out = new LinkedHashMap<>();
            long threads = 0;
            for (Map.Entry<Long, Long> e : threadNanos.entrySet()) {
                long delta = e.getValue() - before.threadNanos.getOrDefault(e.getKey(), 0L);
                if (delta > 0) {
                    out.merge(category.apply(names.get(e.getKey())), delta, Long::sum);
                    threads += delta;
                }
            }
            long vm = 0;
            for (String group : new String[] {JIT, GC}) {
                long delta = vmNanos.getOrDefault(group, 0L) - before.vmNanos.getOrDefault(group, 0L);
                if (delta > 0) {
                    out.merge(group, delta, Long::sum);
                    vm += delta;
                }
            }
            out.merge(rest, Math.max(0, processNanos - before.processNanos - threads - vm), Long::sum);
            return out;
        }
    }
}
