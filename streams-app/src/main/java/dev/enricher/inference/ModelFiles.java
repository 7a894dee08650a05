package dev.enricher.inference;

import dev.enricher.inference.InferenceSettings.Precision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The ONNX files of an export folder and which of them a session runs.
 *
 * <p>The model files live in the bundle folder ({@code model.onnx}, optimum's layout) or in its {@code onnx/}
 * folder (transformers.js' layout); the first of the two that holds any of {@link #FP32}, {@link #QUANTIZED},
 * {@link #FP16} is used, the other ignored (and named by {@link #ignored()}). {@code config.json} and
 * {@code tokenizer.json} stay in the bundle folder either way.
 *
 * <p>Which file runs: {@code exact} runs {@code model.onnx} on every device. {@code fast} runs
 * {@code model_quantized.onnx} on CPU and {@code model_fp16.onnx} on CUDA and TensorRT when present, else
 * {@code model.onnx}. The fp16 file never runs on CPU (a GPU run that fell back to CPU included): there it ran at
 * 0.5-0.7x the fp32 file's speed on the starter models ({@code docs/benchmark-results.md}), and the quantized file
 * never runs on a GPU. Immutable.
 */
final class ModelFiles {
    static final String FP32 = "model.onnx";
    static final String QUANTIZED = "model_quantized.onnx";
    static final String FP16 = "model_fp16.onnx";
    private static final List<String> KNOWN = List.of(FP32, QUANTIZED, FP16);
    private static final String ONNX_FOLDER = "onnx";

    private final Path bundle;
    private final Path folder;
    private final List<String> present;
    private final Optional<Path> ignored;

    private ModelFiles(Path bundle, Path folder, List<String> present, Optional<Path> ignored) {
        this.bundle = bundle;
        this.folder = folder;
        this.present = present;
        this.ignored = ignored;
    }

    /**
     * Finds the model files of a bundle folder.
     *
     * @throws BundleException naming the places looked at and the ONNX files found there, when neither holds a
     *     known model file
     */
    static ModelFiles find(Path bundle) {
        Path nested = bundle.resolve(ONNX_FOLDER);
        List<String> atRoot = known(bundle);
        List<String> inNested = known(nested);
        if (!atRoot.isEmpty()) {
            return new ModelFiles(bundle, bundle, atRoot,
                    inNested.isEmpty() ? Optional.empty() : Optional.of(nested));
        }
        if (!inNested.isEmpty()) {
            return new ModelFiles(bundle, nested, inNested, Optional.empty());
        }
        List<String> found = Stream.concat(onnxFiles(bundle).stream(),
                onnxFiles(nested).stream().map(f -> ONNX_FOLDER + "/" + f)).toList();
        throw new BundleException(bundle, "no model file: looked for " + String.join(", ", KNOWN)
                + " in the bundle folder and in its onnx/ folder, found " + (found.isEmpty() ? "no .onnx file"
                : String.join(", ", found) + " (other variants are not supported)"));
    }

    /** The file a CPU session runs at {@code precision}. */
    Path forCpu(Precision precision) {
        if (precision == Precision.EXACT) {
            return exact();
        }
        return first(QUANTIZED, FP32).orElseThrow(() -> new BundleException(folder.resolve(QUANTIZED),
                "inference.precision=fast on CPU runs " + QUANTIZED + " or " + FP32 + ", found only "
                        + present + " (" + FP16 + " runs on cuda and tensorrt only)"));
    }

    /** The file a CUDA or TensorRT session runs at {@code precision}. */
    Path forGpu(Precision precision) {
        if (precision == Precision.EXACT) {
            return exact();
        }
        return first(FP16, FP32).orElseThrow(() -> new BundleException(folder.resolve(FP16),
                "inference.precision=fast on a GPU runs " + FP16 + " or " + FP32 + ", found only " + present
                        + " (" + QUANTIZED + " runs on CPU only)"));
    }

    /** True for the fp32 {@code model.onnx}, false for a variant. */
    static boolean isFp32(Path file) {
        return file.getFileName().toString().equals(FP32);
    }

    /** The bundle folder. */
    Path bundle() {
        return bundle;
    }

    /** The folder of the model files: the bundle folder or its {@code onnx/}. */
    Path folder() {
        return folder;
    }

    /** {@code onnx/} when it holds model files too but those of the bundle folder are used. */
    Optional<Path> ignored() {
        return ignored;
    }

    /** {@code file} relative to the bundle folder, '/'-separated: {@code model.onnx}, {@code onnx/model_fp16.onnx}. */
    String relative(Path file) {
        return bundle.relativize(file).toString().replace('\\', '/');
    }

    private Path exact() {
        return first(FP32).orElseThrow(() -> new BundleException(folder.resolve(FP32), "inference.precision=exact "
                + "runs the fp32 " + FP32 + ", which is missing: found " + present + ". Add " + FP32
                + ", or set inference.precision=fast to run " + (present.contains(QUANTIZED) ? QUANTIZED + " on CPU"
                : FP16 + " on cuda or tensorrt")));
    }

    private Optional<Path> first(String... names) {
        for (String name : names) {
            if (present.contains(name)) {
                return Optional.of(folder.resolve(name));
            }
        }
        return Optional.empty();
    }

    private static List<String> known(Path folder) {
        return KNOWN.stream().filter(name -> Files.isRegularFile(folder.resolve(name))).toList();
    }

    private static List<String> onnxFiles(Path folder) {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".onnx")).sorted().toList();
        } catch (IOException e) {
            throw new BundleException(folder, "cannot be listed: " + e.getMessage(), e);
        }
    }
}
