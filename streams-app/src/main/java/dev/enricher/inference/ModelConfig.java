package dev.enricher.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a bundle's {@code config.json} (and {@code tokenizer_config.json}, when present) say about the model.
 *
 * @param labels {@code id2label} in id order, never empty
 * @param problemType {@code problem_type}, empty when absent
 * @param maxLength tokens per sequence: {@code model_max_length} of the tokenizer config when present and
 *     sane, bounded by the positions the model has ({@code max_position_embeddings}, less the padding offset of
 *     RoBERTa-style models)
 */
public record ModelConfig(List<String> labels, Optional<String> problemType, int maxLength) {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Model types whose position ids start after the padding id (RoBERTa's {@code padding_idx + 1}), so that
     * {@code max_position_embeddings} is the usable length plus {@code pad_token_id + 1}.
     */
    private static final Set<String> POSITIONS_AFTER_PADDING = Set.of("roberta", "xlm-roberta", "xlm-roberta-xl",
            "camembert", "roberta-prelayernorm", "data2vec-text", "longformer", "mpnet", "ibert", "luke", "xmod");
    /** transformers' "no limit" marker for model_max_length. */
    private static final long UNBOUNDED = 1_000_000L;

    public static ModelConfig read(Path dir) {
        Path configFile = dir.resolve("config.json");
        JsonNode config = readJson(configFile);
        JsonNode id2label = config.get("id2label");
        if (id2label == null || !id2label.isObject() || id2label.isEmpty()) {
            throw new BundleException(configFile, "expected an 'id2label' object mapping ids 0..n-1 to labels, found "
                    + (id2label == null ? "none" : id2label.toString()));
        }
        Map<Integer, String> byId = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = id2label.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            try {
                byId.put(Integer.parseInt(e.getKey()), e.getValue().asText());
            } catch (NumberFormatException ex) {
                throw new BundleException(configFile, "id2label key '" + e.getKey() + "' is not an integer id");
            }
        }
        List<String> labels = new ArrayList<>(byId.values());
        for (int i = 0; i < labels.size(); i++) {
            if (!byId.containsKey(i)) {
                throw new BundleException(configFile, "id2label ids must be 0.." + (labels.size() - 1)
                        + " without gaps, found " + byId.keySet());
            }
        }
        Optional<String> problemType = Optional.ofNullable(config.get("problem_type"))
                .filter(n -> !n.isNull())
                .map(JsonNode::asText);

        long maxPositions = config.path("max_position_embeddings").asLong(0);
        if (maxPositions > 0 && POSITIONS_AFTER_PADDING.contains(config.path("model_type").asText(""))) {
            maxPositions -= config.path("pad_token_id").asLong(1) + 1;
        }
        long maxLength = 0;
        Path tokenizerConfig = dir.resolve("tokenizer_config.json");
        if (Files.exists(tokenizerConfig)) {
            long declared = readJson(tokenizerConfig).path("model_max_length").asLong(0);
            if (declared > 0 && declared < UNBOUNDED) {
                maxLength = declared;
            }
        }
        if (maxLength == 0 || (maxPositions > 0 && maxPositions < maxLength)) {
            maxLength = maxPositions;
        }
        if (maxLength < 3) {
            throw new BundleException(configFile, "expected 'max_position_embeddings' (or 'model_max_length' in "
                    + "tokenizer_config.json) of at least 3 usable positions, found " + maxLength
                    + (POSITIONS_AFTER_PADDING.contains(config.path("model_type").asText("")) ? " (positions after "
                    + "the padding offset of model type '" + config.path("model_type").asText() + "')" : ""));
        }
        return new ModelConfig(List.copyOf(labels), problemType, (int) maxLength);
    }

    private static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new BundleException(file, "file is missing");
        }
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (node == null || !node.isObject()) {
                throw new BundleException(file, "expected a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new BundleException(file, "not valid JSON: " + e.getMessage(), e);
        }
    }
}
