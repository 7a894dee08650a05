package dev.enricher.inference;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.enricher.inference.InferenceSettings.Precision;
import dev.enricher.tokenize.TokenWindow;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Hugging Face export folder ({@code model.onnx} or {@code onnx/model.onnx} with its variants, {@code config.json},
 * {@code tokenizer.json}) opened on ONNX Runtime, its contract checked at load. Which ONNX file runs follows the
 * device and {@code inference.precision} ({@link ModelFiles}); {@link #file()} and {@link #sha256()} name it.
 *
 * <p>Owns one {@link OrtSession} and its options, released by {@link #close()} (idempotent). {@link #run} is
 * thread-safe and shared by all threads; the caller must not close the bundle while a run is in flight.
 */
public final class ModelBundle implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelBundle.class);
    public static final String INPUT_IDS = "input_ids";
    public static final String ATTENTION_MASK = "attention_mask";
    public static final String TOKEN_TYPE_IDS = "token_type_ids";
    public static final String LOGITS = "logits";
    private static final Set<String> KNOWN_INPUTS = Set.of(INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS);

    /** Per-thread input buffers, grown as needed; a tensor made from them lives only inside one run. */
    private static final ThreadLocal<LongBuffer[]> INPUT_BUFFERS = ThreadLocal.withInitial(() -> new LongBuffer[3]);

    public enum Task { SEQUENCE_CLASSIFICATION, TOKEN_CLASSIFICATION }

    private final Path dir;
    private final String name;
    private final String file;
    private final String sha256;
    private final String precision;
    private final ModelConfig config;
    private final Task task;
    private final boolean takesTokenTypes;
    private final Sessions.Opened opened;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ModelBundle(Path dir, String file, String sha256, String precision, ModelConfig config, Task task,
                        boolean takesTokenTypes, Sessions.Opened opened) {
        this.dir = dir;
        this.name = dir.getFileName().toString();
        this.file = file;
        this.sha256 = sha256;
        this.precision = precision;
        this.config = config;
        this.task = task;
        this.takesTokenTypes = takesTokenTypes;
        this.opened = opened;
    }

    /**
     * Opens a bundle folder.
     *
     * @throws BundleException naming the file at fault and what was expected and found
     */
    public static ModelBundle load(Path dir, InferenceSettings settings) {
        Path absolute = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(absolute)) {
            throw new BundleException(absolute, "expected a model bundle folder (model.onnx, config.json, "
                    + "tokenizer.json), found no folder");
        }
        ModelFiles files = ModelFiles.find(absolute);
        Path tokenizerFile = absolute.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerFile)) {
            throw new BundleException(tokenizerFile, "file is missing");
        }
        ModelConfig config = ModelConfig.read(absolute);
        Sessions.Opened opened = Sessions.open(files, settings);
        try {
            Contract contract = checkContract(opened.file(), opened.session(), config);
            String sha256 = sha256(opened.file());
            String file = files.relative(opened.file());
            // float16 logits come from a half-precision graph, whatever its file is called.
            String precision = contract.halfLogits ? Precision.FAST.id() : opened.precision();
            files.ignored().ifPresent(ignored -> LOG.warn("{}: {} holds model files too; they are ignored, the "
                    + "bundle folder's are used", absolute, ignored));
            LOG.info("{}: runs {} (sha256 {}) on {}, precision {}", absolute, file, sha256, opened.device(),
                    precision);
            return new ModelBundle(absolute, file, sha256, precision, config, contract.task,
                    contract.takesTokenTypes, opened);
        } catch (RuntimeException e) {
            opened.close();
            throw e;
        }
    }

    private record Contract(Task task, boolean takesTokenTypes, boolean halfLogits) {}

    private static Contract checkContract(Path modelFile, OrtSession session, ModelConfig config) {
        try {
            Map<String, NodeInfo> inputs = session.getInputInfo();
            for (String required : List.of(INPUT_IDS, ATTENTION_MASK)) {
                if (!inputs.containsKey(required)) {
                    throw new BundleException(modelFile, "expected inputs input_ids, attention_mask and optionally "
                            + "token_type_ids, found " + inputs.keySet());
                }
            }
            for (Map.Entry<String, NodeInfo> input : inputs.entrySet()) {
                if (!KNOWN_INPUTS.contains(input.getKey())) {
                    throw new BundleException(modelFile, "unexpected input '" + input.getKey() + "': expected only "
                            + "input_ids, attention_mask and optionally token_type_ids, found " + inputs.keySet());
                }
                if (!(input.getValue().getInfo() instanceof TensorInfo info) || info.type != OnnxJavaType.INT64
                        || info.getShape().length != 2) {
                    throw new BundleException(modelFile, "input '" + input.getKey() + "' must be an int64 tensor of "
                            + "rank 2 [batch, sequence], found " + input.getValue().getInfo());
                }
            }
            NodeInfo logits = session.getOutputInfo().get(LOGITS);
            if (logits == null || !(logits.getInfo() instanceof TensorInfo info)
                    || (info.type != OnnxJavaType.FLOAT && info.type != OnnxJavaType.FLOAT16)) {
                throw new BundleException(modelFile, "expected a float or float16 output 'logits', found outputs "
                        + session.getOutputInfo().values());
            }
            long[] shape = info.getShape();
            Task task = switch (shape.length) {
                case 2 -> Task.SEQUENCE_CLASSIFICATION;
                case 3 -> Task.TOKEN_CLASSIFICATION;
                default -> throw new BundleException(modelFile, "output 'logits' must have rank 2 [batch, labels] "
                        + "or 3 [batch, sequence, labels], found rank " + shape.length);
            };
            long labelDim = shape[shape.length - 1];
            if (labelDim > 0 && labelDim != config.labels().size()) {
                throw new BundleException(modelFile, "output 'logits' has " + labelDim + " labels but config.json "
                        + "id2label has " + config.labels().size());
            }
            return new Contract(task, inputs.containsKey(TOKEN_TYPE_IDS), info.type == OnnxJavaType.FLOAT16);
        } catch (OrtException e) {
            throw new BundleException(modelFile, "cannot read the model's inputs and outputs: " + e.getMessage(), e);
        }
    }

    private static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new BundleException(file, "cannot be read: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs one batch: windows are padded to the longest with id 0 and attention 0.
     *
     * @throws InferenceException naming the bundle and batch shape when ONNX Runtime fails
     */
    public Logits run(List<TokenWindow> windows) {
        if (closed.get()) {
            throw new IllegalStateException("model bundle " + name + " is closed");
        }
        int batch = windows.size();
        int sequence = 0;
        for (TokenWindow w : windows) {
            sequence = Math.max(sequence, w.length());
        }
        LongBuffer[] buffers = INPUT_BUFFERS.get();
        LongBuffer ids = buffer(buffers, 0, batch * sequence);
        LongBuffer mask = buffer(buffers, 1, batch * sequence);
        LongBuffer types = buffer(buffers, 2, batch * sequence);
        fillInputs(windows, sequence, ids, mask, types);
        long[] shape = {batch, sequence};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OnnxTensor idsTensor = OnnxTensor.createTensor(env, ids, shape);
             OnnxTensor maskTensor = OnnxTensor.createTensor(env, mask, shape);
             OnnxTensor typesTensor = OnnxTensor.createTensor(env, types, shape)) {
            Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
            inputs.put(INPUT_IDS, idsTensor);
            inputs.put(ATTENTION_MASK, maskTensor);
            if (takesTokenTypes) {
                inputs.put(TOKEN_TYPE_IDS, typesTensor);
            }
            try (OrtSession.Result result = opened.session().run(inputs, Set.of(LOGITS))) {
                OnnxTensor out = (OnnxTensor) result.get(0);
                long[] outShape = out.getInfo().getShape();
                // A copy, widened from float16 when the model's logits are float16 (fp16 exports).
                FloatBuffer values = out.getFloatBuffer();
                float[] data = new float[values.remaining()];
                values.get(data);
                int labels = (int) outShape[outShape.length - 1];
                int outSequence = outShape.length == 3 ? (int) outShape[1] : 1;
                return new Logits(data, batch, outSequence, labels);
            }
        } catch (OrtException e) {
            throw new InferenceException("model " + name + " failed on a batch of " + batch + " x " + sequence
                    + " tokens on " + opened.device() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes a batch's inputs, each window padded to {@code sequence} tokens with id 0 and attention 0, and
     * flips the buffers for reading. The buffers must have room for {@code windows.size() * sequence} values.
     */
    public static void fillInputs(List<TokenWindow> windows, int sequence, LongBuffer ids, LongBuffer mask,
                                  LongBuffer types) {
        for (TokenWindow w : windows) {
            int n = w.length();
            ids.put(w.ids());
            types.put(w.typeIds());
            for (int i = 0; i < n; i++) {
                mask.put(1L);
            }
            for (int i = n; i < sequence; i++) {
                ids.put(0L);
                types.put(0L);
                mask.put(0L);
            }
        }
        ids.flip();
        mask.flip();
        types.flip();
    }

    private static LongBuffer buffer(LongBuffer[] buffers, int slot, int cells) {
        LongBuffer b = buffers[slot];
        if (b == null || b.capacity() < cells) {
            int capacity = Math.max(cells, b == null ? 4096 : b.capacity() * 2);
            b = ByteBuffer.allocateDirect(capacity * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
            buffers[slot] = b;
        }
        b.clear();
        b.limit(cells);
        return b;
    }

    public Path dir() {
        return dir;
    }

    /** Folder name: the bundle's name in provenance. */
    public String name() {
        return name;
    }

    /**
     * The ONNX file that runs, relative to {@link #dir()} and '/'-separated: {@code model.onnx},
     * {@code onnx/model.onnx}, {@code model_quantized.onnx}, {@code model_fp16.onnx}, ...
     */
    public String file() {
        return file;
    }

    /** SHA-256 of {@link #file()}, lower-case hex. */
    public String sha256() {
        return sha256;
    }

    public ModelConfig config() {
        return config;
    }

    public Task task() {
        return task;
    }

    public Path tokenizerFile() {
        return dir.resolve("tokenizer.json");
    }

    /** Where the model runs, e.g. {@code cpu}, {@code cuda:0}, or {@code cpu (fallback from cuda:0: ...)}. */
    public String device() {
        return opened.device();
    }

    /** True when a GPU provider was asked for but the model runs on CPU. */
    public boolean fellBackToCpu() {
        return opened.fellBack();
    }

    /**
     * The numeric precision the model runs at: {@code exact} (the fp32 file, TF32 and fp16 engines off) or
     * {@code fast} (a variant file, float16 logits, or TF32 / TensorRT fp16 on a GPU).
     */
    public String precision() {
        return precision;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            opened.close();
        }
    }
}
