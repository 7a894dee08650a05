package dev.enricher.bench;

import java.util.Locale;

/**
 * Where the time of enriching events goes, in nanoseconds: tokenization, model runs (tensor filling, ONNX
 * Runtime, output copy), post-processing (transformers' pipelines and building the enriched record), and
 * everything else (Kafka clients and broker, Kafka Streams, state store, Avro, GC, JIT).
 */
public record CpuSplit(double tokenize, double infer, double postprocess, double kafkaAvro) {

    public double total() {
        return tokenize + infer + postprocess + kafkaAvro;
    }

    /** {@code tokenize:0.031,infer:0.842,postprocess:0.012,kafka_avro:0.115}: shares of the total. */
    public String format() {
        double t = total();
        return String.format(Locale.ROOT, "tokenize:%.3f,infer:%.3f,postprocess:%.3f,kafka_avro:%.3f",
                tokenize / t, infer / t, postprocess / t, kafkaAvro / t);
    }
}
