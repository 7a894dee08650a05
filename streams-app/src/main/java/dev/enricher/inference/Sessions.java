package dev.enricher.inference;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import ai.onnxruntime.providers.OrtTensorRTProviderOptions;
import dev.enricher.inference.InferenceSettings.Device;
import dev.enricher.inference.InferenceSettings.Precision;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates ONNX Runtime sessions on the execution provider the settings ask for, falling back to CPU if allowed. */
final class Sessions {
    private static final Logger LOG = LoggerFactory.getLogger(Sessions.class);

    private Sessions() {}

    /**
     * A session with the options it was built with; both are closed together.
     *
     * @param file the ONNX file the session runs
     * @param precision {@code exact} when {@code file} is the fp32 model run without TF32 or fp16 engines, else
     *     {@code fast}
     */
    record Opened(OrtSession session, OrtSession.SessionOptions options, Path file, String device, boolean fellBack,
                  String precision) implements AutoCloseable {
        @Override
        public void close() {
            try {
                session.close();
            } catch (OrtException e) {
                LOG.warn("closing the ONNX Runtime session failed: {}", e.getMessage());
            }
            options.close();
        }
    }

    /** Native stack for session creation: ONNX Runtime's graph loading overflows a default 1 MB Java stack. */
    private static final long LOAD_STACK_BYTES = 64L << 20;

    /**
     * Opens a session on the file of {@code files} that the device and precision call for (a CPU fallback takes
     * the CPU's file), on a thread of its own with a large native stack; blocks until it is ready.
     *
     * @throws BundleException when no file suits, the model cannot be loaded, or the GPU is unavailable without
     *     fallback
     */
    static Opened open(ModelFiles files, InferenceSettings settings) {
        Opened[] opened = new Opened[1];
        RuntimeException[] failure = new RuntimeException[1];
        Thread loader = new Thread(null, () -> {
            try {
                opened[0] = openHere(files, settings);
            } catch (RuntimeException e) {
                failure[0] = e;
            }
        }, "model-load-" + files.bundle().getFileName(), LOAD_STACK_BYTES);
        loader.start();
        try {
            loader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BundleException(files.folder(), "interrupted while loading");
        }
        if (failure[0] != null) {
            throw failure[0];
        }
        return opened[0];
    }

    private static Opened openHere(ModelFiles files, InferenceSettings settings) {
        if (settings.device() == Device.CPU) {
            return openCpu(files.forCpu(settings.precision()), settings, false, "cpu");
        }
        Path modelFile = files.forGpu(settings.precision());
        String wanted = settings.device().id() + ":" + settings.deviceId();
        OrtSession.SessionOptions options = null;
        try {
            options = baseOptions(settings);
            addGpuProvider(options, settings);
            OrtSession session = OrtEnvironment.getEnvironment().createSession(modelFile.toString(), options);
            String precision = ModelFiles.isFp32(modelFile) ? settings.precision().id() : Precision.FAST.id();
            return new Opened(session, options, modelFile, wanted, false, precision);
        } catch (OrtException | RuntimeException | LinkageError e) {
            if (options != null) {
                options.close();
            }
            String reason = e.getClass().getSimpleName() + ": " + e.getMessage();
            if (!settings.fallbackToCpu()) {
                throw new BundleException(modelFile, "cannot run on " + wanted + " (inference.device="
                        + settings.device().id() + "): " + reason + ". Install the GPU build (Maven profile 'gpu', "
                        + "CUDA 12 and cuDNN 9) or allow the CPU fallback (inference.fallback=cpu)", e);
            }
            Path cpuFile;
            try {
                cpuFile = files.forCpu(settings.precision());
            } catch (BundleException noCpuFile) {
                throw new BundleException(modelFile, "cannot run on " + wanted + ": " + reason + "; nothing to fall "
                        + "back to on CPU: " + noCpuFile.getMessage(), e);
            }
            LOG.warn("{}: cannot run on {} ({}); falling back to CPU with {}", modelFile, wanted, reason, cpuFile);
            return openCpu(cpuFile, settings, true, "cpu (fallback from " + wanted + ")");
        }
    }

    private static void addGpuProvider(OrtSession.SessionOptions options, InferenceSettings settings)
            throws OrtException {
        OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions(settings.deviceId());
        // TF32 changes fp32 logits by up to 2e-2 on small models: parity needs it off.
        cuda.add("use_tf32", settings.precision() == Precision.FAST ? "1" : "0");
        if (settings.device() == Device.TENSORRT) {
            OrtTensorRTProviderOptions trt = new OrtTensorRTProviderOptions(settings.deviceId());
            trt.add("trt_fp16_enable", settings.precision() == Precision.FAST ? "1" : "0");
            trt.add("trt_engine_cache_enable", "1");
            trt.add("trt_engine_cache_path", System.getProperty("java.io.tmpdir") + "/enricher-trt-cache");
            options.addTensorrt(trt);
        }
        // CUDA after TensorRT: nodes TensorRT does not take run on CUDA, not on CPU.
        options.addCUDA(cuda);
    }

    /**
     * Graph rewrites turned off on CPU for a given ONNX Runtime version, as the value of
     * {@code optimization.disable_specified_optimizers}; empty when none.
     *
     * <p>Before 1.30, ONNX Runtime's CPU LayerNormalization kernel is scalar: on the MiniLM bundles (whose opset-11
     * graphs write LayerNorm out as ReduceMean, Sub, Pow, Sqrt, Div, Mul, Add) the 13 nodes that the fusion makes
     * take ~13% of a run, 8-9x what 1.30's vectorized kernel takes. Left unfused, the model's own vectorized
     * element-wise nodes take less than half of that, with logits as close to exact arithmetic. Models that hold
     * LayerNormalization nodes already (opset 17+ exports) are not affected. docs/ort-overhead.md has the
     * measurements.
     */
    static String cpuDisabledOptimizers(String ortVersion) {
        String[] parts = ortVersion.split("[.-]");
        try {
            int major = Integer.parseInt(parts[0]);
            int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            if (major > 1 || minor >= 30) {
                return "";
            }
        } catch (NumberFormatException e) {
            return "";
        }
        return "LayerNormFusionL1;LayerNormFusionL2;SimplifiedLayerNormFusion";
    }

    /** Session options for the CPU provider. */
    static OrtSession.SessionOptions cpuOptions(InferenceSettings settings) throws OrtException {
        OrtSession.SessionOptions options = baseOptions(settings);
        try {
            String disabled = cpuDisabledOptimizers(OrtEnvironment.getEnvironment().getVersion());
            if (!disabled.isEmpty()) {
                options.addConfigEntry("optimization.disable_specified_optimizers", disabled);
            }
            return options;
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    private static Opened openCpu(Path modelFile, InferenceSettings settings, boolean fellBack, String device) {
        OrtSession.SessionOptions options = null;
        try {
            options = cpuOptions(settings);
            OrtSession session = OrtEnvironment.getEnvironment().createSession(modelFile.toString(), options);
            // fp32 on CPU is exact whatever was asked for: the CPU provider has no reduced-precision mode.
            String precision = ModelFiles.isFp32(modelFile) ? Precision.EXACT.id() : Precision.FAST.id();
            return new Opened(session, options, modelFile, device, fellBack, precision);
        } catch (OrtException e) {
            if (options != null) {
                options.close();
            }
            throw new BundleException(modelFile, "ONNX Runtime cannot load it as a model: " + e.getMessage(), e);
        }
    }

    private static OrtSession.SessionOptions baseOptions(InferenceSettings settings) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        options.setIntraOpNumThreads(settings.intraOpThreads());
        options.setInterOpNumThreads(1);
        options.addConfigEntry("session.intra_op.allow_spinning", settings.allowSpinning() ? "1" : "0");
        return options;
    }
}
