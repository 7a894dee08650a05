package dev.enricher.benchmarks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The NumPy {@code .npy} format (version 1.0, little-endian, C order) for rank-2 int64 and float32 arrays: enough
 * to hand the same tensors to ONNX Runtime from Java and from Python. Not thread-safe; no state.
 */
final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    private static final Pattern HEADER = Pattern.compile(
            "'descr':\\s*'([<>|]?[a-z]\\d+)'.*'fortran_order':\\s*False.*'shape':\\s*\\(([\\d,\\s]*)\\)");

    private Npy() {}

    /** An array read from a file: row-major values and shape. */
    record Array(long[] longs, float[] floats, long[] shape) {
        long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    static void writeLongs(Path file, long[] values, long... shape) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        data.asLongBuffer().put(values);
        write(file, "<i8", shape, data.array());
    }

    static void writeFloats(Path file, float[] values, long... shape) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(values);
        write(file, "<f4", shape, data.array());
    }

    private static void write(Path file, String descr, long[] shape, byte[] data) throws IOException {
        StringBuilder dims = new StringBuilder();
        for (long d : shape) {
            dims.append(d).append(shape.length == 1 ? ",)" : ", ");
        }
        String shapeText = shape.length == 1 ? "(" + dims : "(" + dims.substring(0, dims.length() - 2) + ")";
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT,
                "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shapeText));
        while ((MAGIC.length + 2 + header.length() + 1) % 64 != 0) {
            header.append(' ');
        }
        header.append('\n');
        byte[] h = header.toString().getBytes(StandardCharsets.US_ASCII);
        ByteBuffer out = ByteBuffer.allocate(MAGIC.length + 2 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).putShort((short) h.length).put(h).put(data);
        Files.write(file, out.array());
    }

    static Array read(Path file) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[6];
        in.get(magic);
        if (!Arrays.equals(magic, Arrays.copyOf(MAGIC, 6))) {
            throw new IOException(file + ": not an .npy file");
        }
        int major = in.get();
        in.get();
        int headerLength = major == 1 ? Short.toUnsignedInt(in.getShort()) : in.getInt();
        byte[] h = new byte[headerLength];
        in.get(h);
        String header = new String(h, StandardCharsets.US_ASCII);
        Matcher m = HEADER.matcher(header);
        if (!m.find()) {
            throw new IOException(file + ": expected a C-order array, found header " + header.trim());
        }
        long[] shape = Arrays.stream(m.group(2).split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .mapToLong(Long::parseLong).toArray();
        ByteBuffer data = in.slice().order(ByteOrder.LITTLE_ENDIAN);
        String descr = m.group(1).replace("<", "").replace("|", "");
        Array empty = new Array(null, null, shape);
        int n = Math.toIntExact(empty.elements());
        return switch (descr) {
            case "i8" -> {
                long[] v = new long[n];
                data.asLongBuffer().get(v);
                yield new Array(v, null, shape);
            }
            case "f4" -> {
                float[] v = new float[n];
                data.asFloatBuffer().get(v);
                yield new Array(null, v, shape);
            }
            default -> throw new IOException(file + ": expected <i8 or <f4, found " + m.group(1));
        };
    }
}
