package dev.enricher.inference;

import java.util.Locale;

/**
 * How ONNX Runtime sessions are created: execution provider, threads and numeric precision.
 *
 * @param device execution provider to ask for
 * @param deviceId GPU ordinal for {@code cuda} and {@code tensorrt}; ignored on CPU
 * @param fallbackToCpu when the GPU provider cannot be loaded: true runs on CPU with a warning, false fails
 * @param intraOpThreads threads one {@code run} may use; at least 1
 * @param allowSpinning whether idle intra-op threads spin; off is faster on small, busy machines
 * @param precision {@code exact} keeps parity with {@code transformers} (fp32, TF32 off, TensorRT fp16 off)
 */
public record InferenceSettings(
        Device device, int deviceId, boolean fallbackToCpu, int intraOpThreads, boolean allowSpinning,
        Precision precision) {

    public InferenceSettings {
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intra-op threads must be at least 1, got " + intraOpThreads);
        }
        if (deviceId < 0) {
            throw new IllegalArgumentException("device id must be at least 0, got " + deviceId);
        }
    }

    public static InferenceSettings cpu(int intraOpThreads) {
        return new InferenceSettings(Device.CPU, 0, false, intraOpThreads, false, Precision.EXACT);
    }

    public enum Device {
        CPU, CUDA, TENSORRT;

        public static Device parse(String name) {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        }

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Precision {
        /** fp32 with TF32 off: logits within ~1e-5 of CPU, the parity contract. */
        EXACT,
        /** TF32 matmuls on CUDA, fp16 engines on TensorRT: faster, parity not kept. */
        FAST;

        public static Precision parse(String name) {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        }

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
