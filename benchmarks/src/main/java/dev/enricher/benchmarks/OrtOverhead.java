package dev.enricher.benchmarks;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.enricher.bench.BenchTexts;
import dev.enricher.bench.CpuClock;
import dev.enricher.inference.InferenceSettings;
import dev.enricher.inference.Logits;
import dev.enricher.inference.ModelBundle;
import dev.enricher.tokenize.TextTokenizer;
import dev.enricher.tokenize.TokenWindow;
import dev.enricher.tokenize.Tokenized;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Where the CPU time of one ONNX Runtime run goes from Java, on tensors that Python's {@code onnxruntime} can be
 * given byte for byte (issue 12, {@code docs/ort-overhead.md}). Developer tooling: depends on the service, never
 * the reverse. Two commands, run from the repository root:
 *
 * <pre>
 * OrtOverhead dump BUNDLE OUT_DIR      # tokenizes realistic events with the bundle's tokenizer, writes batches as
 *                                      # .npy (input_ids, attention_mask, token_type_ids) and the logits
 *                                      # ModelBundle.run gives for them
 * OrtOverhead run BUNDLE IN_DIR [--mode service|direct|array|runonly|ab] [--runs N] [--warmup N] [--rounds N]
 *                 [--opt all|extended|basic|none] [--arena 0|1] [--mempattern 0|1] [--spin 0|1]
 *                 [--threads N] [--denormal 0|1] [--batches b32x32,b8x64]
 *                 [--profile FILE_PREFIX] [--disable GraphTransformerName,...]
 * </pre>
 *
 * <p>{@code run} prints one line per batch and round: CPU time of the process and of the calling thread, and
 * wall time, per run and per event, over {@code --runs} runs after {@code --warmup}. Modes: {@code service} is
 * {@code ModelBundle.run} (the service's own session options); {@code direct} makes tensors from reusable direct
 * buffers and copies the output with {@code getFloatBuffer}; {@code array} makes them from {@code long[][]} and
 * copies with {@code getValue}; {@code runonly} makes the tensors once and times {@code session.run} alone.
 * Single-threaded; not part of the service image.
 */
public final class OrtOverhead {
    private static final String[] INPUTS = {ModelBundle.INPUT_IDS, ModelBundle.ATTENTION_MASK,
            ModelBundle.TOKEN_TYPE_IDS};

    private OrtOverhead() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: OrtOverhead dump BUNDLE OUT_DIR | run BUNDLE IN_DIR [options]");
            System.exit(2);
        }
        Path bundle = Path.of(args[1]);
        Path dir = Path.of(args[2]);
        switch (args[0]) {
            case "dump" -> dump(bundle, dir);
            case "run" -> run(bundle, dir, options(Arrays.copyOfRange(args, 3, args.length)));
            default -> {
                System.err.println("unknown command " + args[0]);
                System.exit(2);
            }
        }
    }

    /** One batch as the service would send it: windows sorted by length, padded to the longest. */
    private record Batch(String name, int batch, int sequence, long[] ids, long[] mask, long[] types) {}

    private static void dump(Path bundlePath, Path out) throws IOException {
        Files.createDirectories(out);
        try (ModelBundle bundle = ModelBundle.load(bundlePath, InferenceSettings.cpu(1));
             TextTokenizer tokenizer = TextTokenizer.load(bundle.tokenizerFile(), bundle.config().maxLength(), 0)) {
            // Short events as the benchmark generates them: a full run of 32 short ones, and 8 longer ones.
            dumpBatch(bundle, tokenizer, out, "b32", BenchTexts.generate(32, 12, tokenizer, 10, 32));
            dumpBatch(bundle, tokenizer, out, "b8", BenchTexts.generate(8, 13, tokenizer, 40, 64));
        }
    }

    private static void dumpBatch(ModelBundle bundle, TextTokenizer tokenizer, Path out, String prefix,
                                  List<String> texts) throws IOException {
        List<TokenWindow> windows = new ArrayList<>();
        for (Tokenized t : tokenizer.encodeAll(texts)) {
            windows.add(t.first());
        }
        windows.sort(Comparator.comparingInt(TokenWindow::length));
        int sequence = windows.get(windows.size() - 1).length();
        int cells = windows.size() * sequence;
        LongBuffer ids = LongBuffer.allocate(cells);
        LongBuffer mask = LongBuffer.allocate(cells);
        LongBuffer types = LongBuffer.allocate(cells);
        ModelBundle.fillInputs(windows, sequence, ids, mask, types);
        String name = prefix + "x" + sequence;
        Npy.writeLongs(out.resolve(name + "_input_ids.npy"), ids.array(), windows.size(), sequence);
        Npy.writeLongs(out.resolve(name + "_attention_mask.npy"), mask.array(), windows.size(), sequence);
        Npy.writeLongs(out.resolve(name + "_token_type_ids.npy"), types.array(), windows.size(), sequence);
        Logits logits = bundle.run(windows);
        long[] shape = logits.sequence() == 1 && bundle.task() == ModelBundle.Task.SEQUENCE_CLASSIFICATION
                ? new long[] {logits.batch(), logits.labels()}
                : new long[] {logits.batch(), logits.sequence(), logits.labels()};
        Npy.writeFloats(out.resolve(name + "_logits_java.npy"), logits.data(), shape);
        System.out.println("wrote " + name + " (" + windows.size() + " x " + sequence + ", real tokens "
                + Arrays.stream(mask.array()).sum() + ")");
    }

    private static List<Batch> readBatches(Path dir, Set<String> wanted) throws IOException {
        List<String> names;
        try (Stream<Path> files = Files.list(dir)) {
            names = files.map(p -> p.getFileName().toString()).filter(f -> f.endsWith("_input_ids.npy"))
                    .map(f -> f.substring(0, f.length() - "_input_ids.npy".length())).sorted().toList();
        }
        List<Batch> batches = new ArrayList<>();
        for (String name : names) {
            if (!wanted.isEmpty() && !wanted.contains(name)) {
                continue;
            }
            Npy.Array ids = Npy.read(dir.resolve(name + "_input_ids.npy"));
            Npy.Array mask = Npy.read(dir.resolve(name + "_attention_mask.npy"));
            Npy.Array types = Npy.read(dir.resolve(name + "_token_type_ids.npy"));
            batches.add(new Batch(name, (int) ids.shape()[0], (int) ids.shape()[1], ids.longs(), mask.longs(),
                    types.longs()));
        }
        if (batches.isEmpty()) {
            throw new IllegalArgumentException("no batches in " + dir + " (wanted " + wanted + ")");
        }
        return batches;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new LinkedHashMap<>(Map.of("mode", "direct", "runs", "200", "warmup", "20",
                "rounds", "1", "opt", "all", "arena", "1", "mempattern", "1", "spin", "0", "threads", "1",
                "denormal", "0"));
        o.put("batches", "");
        o.put("profile", "");
        o.put("disable", "");
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--") || !o.containsKey(args[i].substring(2))) {
                throw new IllegalArgumentException("unknown option " + args[i] + "; known: " + o.keySet());
            }
            o.put(args[i].substring(2), args[i + 1]);
        }
        return o;
    }

    private static OrtSession.SessionOptions sessionOptions(Map<String, String> o) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setOptimizationLevel(switch (o.get("opt")) {
            case "none" -> OrtSession.SessionOptions.OptLevel.NO_OPT;
            case "basic" -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
            case "extended" -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
            default -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
        });
        options.setIntraOpNumThreads(Integer.parseInt(o.get("threads")));
        options.setInterOpNumThreads(1);
        options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        options.setCPUArenaAllocator(o.get("arena").equals("1"));
        options.setMemoryPatternOptimization(o.get("mempattern").equals("1"));
        options.addConfigEntry("session.intra_op.allow_spinning", o.get("spin"));
        options.addConfigEntry("session.set_denormal_as_zero", o.get("denormal"));
        if (!o.get("profile").isEmpty()) {
            options.enableProfiling(o.get("profile"));
        }
        if (!o.get("disable").isEmpty()) {
            options.addConfigEntry("optimization.disable_specified_optimizers", o.get("disable").replace(',', ';'));
        }
        return options;
    }

    private static void run(Path bundlePath, Path dir, Map<String, String> o) throws Exception {
        List<Batch> batches = readBatches(dir, o.get("batches").isEmpty() ? Set.of()
                : Set.of(o.get("batches").split(",")));
        String mode = o.get("mode");
        int runs = Integer.parseInt(o.get("runs"));
        int warmup = Integer.parseInt(o.get("warmup"));
        int rounds = Integer.parseInt(o.get("rounds"));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        if (mode.equals("ab")) {
            alternate(env, bundlePath, batches, o);
            return;
        }
        ModelBundle bundle = null;
        OrtSession.SessionOptions options = null;
        OrtSession session = null;
        if (mode.equals("service")) {
            bundle = ModelBundle.load(bundlePath, InferenceSettings.cpu(Integer.parseInt(o.get("threads"))));
        } else {
            options = sessionOptions(o);
            session = env.createSession(bundlePath.resolve("model.onnx").toString(), options);
        }
        try {
            for (int round = 0; round < rounds; round++) {
                for (Batch b : batches) {
                    Runner runner = switch (mode) {
                        case "service" -> service(bundle, b);
                        case "direct" -> direct(env, session, b);
                        case "array" -> array(env, session, b);
                        case "runonly" -> runOnly(env, session, b);
                        default -> throw new IllegalArgumentException("unknown mode " + mode);
                    };
                    float check = 0;
                    for (int i = 0; i < warmup; i++) {
                        check += runner.run();
                    }
                    long cpu0 = CpuClock.process();
                    long thread0 = CpuClock.currentThread();
                    long wall0 = System.nanoTime();
                    for (int i = 0; i < runs; i++) {
                        check += runner.run();
                    }
                    long wall = System.nanoTime() - wall0;
                    long thread = CpuClock.currentThread() - thread0;
                    long cpu = CpuClock.process() - cpu0;
                    runner.close();
                    System.out.printf(Locale.ROOT, "java native=%s mode=%s disable=%s opt=%s arena=%s mempattern=%s denormal=%s "
                                    + "batch=%s runs=%d cpu_ms=%.3f thread_ms=%.3f wall_ms=%.3f cpu_ms_per_event=%.4f "
                                    + "check=%.3f%n",
                            nativeLibrary(), mode, o.get("disable"), o.get("opt"), o.get("arena"),
                            o.get("mempattern"), o.get("denormal"), b.name(), runs, cpu / 1e6 / runs,
                            thread / 1e6 / runs, wall / 1e6 / runs, cpu / 1e6 / runs / b.batch(), check);
                }
            }
        } finally {
            if (bundle != null) {
                bundle.close();
            }
            if (session != null) {
                if (!o.get("profile").isEmpty()) {
                    System.out.println("profile " + session.endProfiling());
                }
                session.close();
            }
            if (options != null) {
                options.close();
            }
        }
    }

    /**
     * Two sessions in one process, A with the options given but no {@code --disable}, B with them all, run
     * alternately (A, B, A, B, ...) so that a drift in the machine's load falls on both: the CPU time of the calling
     * thread per run of each, and the ratio B/A over blocks of 10 pairs (median, min, max).
     */
    private static void alternate(OrtEnvironment env, Path bundlePath, List<Batch> batches, Map<String, String> o)
            throws Exception {
        Map<String, String> plain = new LinkedHashMap<>(o);
        plain.put("disable", "");
        String model = bundlePath.resolve("model.onnx").toString();
        int runs = Integer.parseInt(o.get("runs"));
        int warmup = Integer.parseInt(o.get("warmup"));
        try (OrtSession.SessionOptions optionsA = sessionOptions(plain);
             OrtSession.SessionOptions optionsB = sessionOptions(o);
             OrtSession a = env.createSession(model, optionsA);
             OrtSession b = env.createSession(model, optionsB)) {
            for (Batch batch : batches) {
                Runner runA = direct(env, a, batch);
                Runner runB = direct(env, b, batch);
                for (int i = 0; i < warmup; i++) {
                    runA.run();
                    runB.run();
                }
                long totalA = 0;
                long totalB = 0;
                List<Double> blockRatios = new ArrayList<>();
                long blockA = 0;
                long blockB = 0;
                for (int i = 0; i < runs; i++) {
                    long t0 = CpuClock.currentThread();
                    runA.run();
                    long t1 = CpuClock.currentThread();
                    runB.run();
                    long t2 = CpuClock.currentThread();
                    blockA += t1 - t0;
                    blockB += t2 - t1;
                    if ((i + 1) % 10 == 0) {
                        blockRatios.add((double) blockB / blockA);
                        totalA += blockA;
                        totalB += blockB;
                        blockA = 0;
                        blockB = 0;
                    }
                }
                List<Double> sorted = blockRatios.stream().sorted().toList();
                int pairs = sorted.size() * 10;
                System.out.printf(Locale.ROOT, "java native=%s mode=ab disable=%s batch=%s pairs=%d a_thread_ms=%.3f "
                                + "b_thread_ms=%.3f ratio_b_a=%.3f block_ratio_median=%.3f block_ratio_min=%.3f "
                                + "block_ratio_max=%.3f%n", nativeLibrary(), o.get("disable"), batch.name(), pairs,
                        totalA / 1e6 / pairs, totalB / 1e6 / pairs, (double) totalB / totalA,
                        sorted.get(sorted.size() / 2), sorted.get(0), sorted.get(sorted.size() - 1));
            }
        }
    }

    /** Where ONNX Runtime's native library came from: the jar's own, or {@code -Donnxruntime.native.path}. */
    private static String nativeLibrary() {
        String dir = System.getProperty("onnxruntime.native.path");
        return dir == null ? "jar-" + OrtEnvironment.getEnvironment().getVersion() : dir;
    }

    /** One run of a batch; returns a value of the output so that nothing is optimised away. */
    private interface Runner extends AutoCloseable {
        float run() throws OrtException;

        @Override
        default void close() throws OrtException { }
    }

    private static Runner service(ModelBundle bundle, Batch b) {
        List<TokenWindow> windows = new ArrayList<>(b.batch());
        for (int r = 0; r < b.batch(); r++) {
            int n = 0;
            while (n < b.sequence() && b.mask()[r * b.sequence() + n] != 0) {
                n++;
            }
            long[] ids = Arrays.copyOfRange(b.ids(), r * b.sequence(), r * b.sequence() + n);
            long[] types = Arrays.copyOfRange(b.types(), r * b.sequence(), r * b.sequence() + n);
            windows.add(new TokenWindow(ids, types, new String[n], new boolean[n], new int[n], new int[n], new int[n]));
        }
        return () -> {
            Logits l = bundle.run(windows);
            return l.data()[l.data().length - 1];
        };
    }

    private static LongBuffer directOf(long[] values) {
        LongBuffer buffer = ByteBuffer.allocateDirect(values.length * Long.BYTES).order(ByteOrder.nativeOrder())
                .asLongBuffer();
        buffer.put(values).flip();
        return buffer;
    }

    private static Runner direct(OrtEnvironment env, OrtSession session, Batch b) {
        LongBuffer[] buffers = {directOf(b.ids()), directOf(b.mask()), directOf(b.types())};
        long[] shape = {b.batch(), b.sequence()};
        return () -> {
            try (OnnxTensor ids = OnnxTensor.createTensor(env, buffers[0].rewind(), shape);
                 OnnxTensor mask = OnnxTensor.createTensor(env, buffers[1].rewind(), shape);
                 OnnxTensor types = OnnxTensor.createTensor(env, buffers[2].rewind(), shape)) {
                Map<String, OnnxTensor> inputs = Map.of(INPUTS[0], ids, INPUTS[1], mask, INPUTS[2], types);
                try (OrtSession.Result result = session.run(inputs, Set.of(ModelBundle.LOGITS))) {
                    FloatBuffer values = ((OnnxTensor) result.get(0)).getFloatBuffer();
                    float[] data = new float[values.remaining()];
                    values.get(data);
                    return data[data.length - 1];
                }
            }
        };
    }

    private static long[][] rows(long[] values, int batch, int sequence) {
        long[][] out = new long[batch][];
        for (int r = 0; r < batch; r++) {
            out[r] = Arrays.copyOfRange(values, r * sequence, (r + 1) * sequence);
        }
        return out;
    }

    private static Runner array(OrtEnvironment env, OrtSession session, Batch b) {
        long[][][] arrays = {rows(b.ids(), b.batch(), b.sequence()), rows(b.mask(), b.batch(), b.sequence()),
                rows(b.types(), b.batch(), b.sequence())};
        return () -> {
            try (OnnxTensor ids = OnnxTensor.createTensor(env, arrays[0]);
                 OnnxTensor mask = OnnxTensor.createTensor(env, arrays[1]);
                 OnnxTensor types = OnnxTensor.createTensor(env, arrays[2])) {
                Map<String, OnnxTensor> inputs = Map.of(INPUTS[0], ids, INPUTS[1], mask, INPUTS[2], types);
                try (OrtSession.Result result = session.run(inputs, Set.of(ModelBundle.LOGITS))) {
                    Object value = result.get(0).getValue();
                    if (value instanceof float[][][] v) {
                        return v[v.length - 1][v[0].length - 1][v[0][0].length - 1];
                    }
                    float[][] v = (float[][]) value;
                    return v[v.length - 1][v[0].length - 1];
                }
            }
        };
    }

    private static Runner runOnly(OrtEnvironment env, OrtSession session, Batch b) throws OrtException {
        long[] shape = {b.batch(), b.sequence()};
        OnnxTensor ids = OnnxTensor.createTensor(env, directOf(b.ids()), shape);
        OnnxTensor mask = OnnxTensor.createTensor(env, directOf(b.mask()), shape);
        OnnxTensor types = OnnxTensor.createTensor(env, directOf(b.types()), shape);
        Map<String, OnnxTensor> inputs = Map.of(INPUTS[0], ids, INPUTS[1], mask, INPUTS[2], types);
        Set<String> outputs = Set.of(ModelBundle.LOGITS);
        return new Runner() {
            @Override
            public float run() throws OrtException {
                try (OrtSession.Result result = session.run(inputs, outputs)) {
                    OnnxValue out = result.get(0);
                    return out == null ? 0 : 1;
                }
            }

            @Override
            public void close() {
                ids.close();
                mask.close();
                types.close();
            }
        };
    }
}
