package dev.enricher.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Example consumer of Enricher's output (docs/examples/README.md), with nothing of Enricher's code: kafka-clients,
 * Apache Avro and the JDK's HTTP client. Reads committed records only ({@code isolation.level=read_committed}:
 * under exactly_once_v2 the output of aborted transactions is skipped), takes the key as the input record's key
 * bytes (UTF-8 text here), and decodes each value in the Confluent wire format (byte 0, a 4-byte schema id, Avro
 * binary) with the writer schema fetched from the registry by id ({@code GET /schemas/ids/{id}}), into a
 * GenericRecord. With Confluent's serde on the classpath, {@code KafkaAvroDeserializer} does the same.
 *
 * <p>Compiled with the tests and run against a real broker and registry by ConsumerExamplesIT, so it cannot rot.
 *
 * <p>usage: {@code ConsumeEnriched BOOTSTRAP REGISTRY_URL TOPIC}
 */
public final class ConsumeEnriched {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final String registryUrl;
    private final Map<Integer, Schema> schemas = new ConcurrentHashMap<>();

    public ConsumeEnriched(String registryUrl) {
        this.registryUrl = registryUrl.replaceAll("/+$", "");
    }

    public static void main(String[] args) {
        ConsumeEnriched example = new ConsumeEnriched(args[1]);
        example.consume(args[0], args[2], "enriched-example", Integer.MAX_VALUE, Duration.ofDays(365),
                (key, value) -> System.out.println(key + "\t" + value));
    }

    /** Reads {@code topic} from the beginning until {@code max} records or the timeout; returns how many were read. */
    public int consume(String bootstrap, String topic, String groupPrefix, int max, Duration timeout,
                       BiConsumer<String, GenericRecord> onRecord) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupPrefix + "-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        int read = 0;
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            while (read < max && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
                    onRecord.accept(key, decode(r.value()));
                    read++;
                }
            }
        }
        return read;
    }

    /** A value in the Confluent wire format, read with its writer schema. */
    public GenericRecord decode(byte[] value) {
        ByteBuffer buffer = ByteBuffer.wrap(value);
        if (value.length < 5 || buffer.get() != 0) {
            throw new IllegalArgumentException("not the Confluent wire format (magic byte 0, 4-byte schema id)");
        }
        Schema writer = schemas.computeIfAbsent(buffer.getInt(), this::fetch);
        try {
            return new GenericDatumReader<GenericRecord>(writer).read(null,
                    DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, null));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot decode a record of schema " + writer.getFullName(), e);
        }
    }

    private Schema fetch(int id) {
        try {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(registryUrl + "/schemas/ids/" + id))
                    .header("Accept", "application/vnd.schemaregistry.v1+json").build(), HttpResponse.BodyHandlers.ofString());
            if (answer.statusCode() != 200) {
                throw new IllegalStateException("registry answered HTTP " + answer.statusCode() + " for schema id " + id);
            }
            return new Schema.Parser().parse(JSON.readTree(answer.body()).path("schema").asText());
        } catch (IOException e) {
            throw new IllegalStateException("cannot reach the registry for schema id " + id, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
