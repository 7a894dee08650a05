package dev.enricher.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The usable sequence length of a bundle, from its config files. */
class ModelConfigTest {
    private static final String LABELS = "\"id2label\": {\"0\": \"a\", \"1\": \"b\"}";

    @TempDir
    Path dir;

    private int maxLength(String config, String tokenizerConfig) throws IOException {
        Files.writeString(dir.resolve("config.json"), config);
        if (tokenizerConfig != null) {
            Files.writeString(dir.resolve("tokenizer_config.json"), tokenizerConfig);
        }
        return ModelConfig.read(dir).maxLength();
    }

    @Test
    void robertaPositionsStartAfterThePaddingId() throws IOException {
        assertEquals(512, maxLength("{" + LABELS + ", \"model_type\": \"roberta\", \"max_position_embeddings\": 514,"
                + " \"pad_token_id\": 1}", null));
        assertEquals(512, maxLength("{" + LABELS + ", \"model_type\": \"xlm-roberta\", \"max_position_embeddings\": 514,"
                + " \"pad_token_id\": 1}", "{\"model_max_length\": 512}"));
    }

    @Test
    void bertUsesEveryPositionAndTheTokenizerMayAskForFewer() throws IOException {
        assertEquals(512, maxLength("{" + LABELS + ", \"model_type\": \"bert\", \"max_position_embeddings\": 512}", null));
        assertEquals(128, maxLength("{" + LABELS + ", \"model_type\": \"bert\", \"max_position_embeddings\": 512}",
                "{\"model_max_length\": 128}"));
        assertEquals(512, maxLength("{" + LABELS + ", \"model_type\": \"bert\", \"max_position_embeddings\": 512}",
                "{\"model_max_length\": 1000000000000000019884624838656}"));
    }
}
