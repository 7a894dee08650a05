package dev.enricher.inference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** Results as the transformers pipelines print them: the same field names, in the same order. */
public final class PredictionJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PredictionJson() {}

    /** {@code [{"label", "score"}, ...]}, best first. */
    public static ArrayNode scores(List<LabelScore> scores) {
        ArrayNode out = JSON.createArrayNode();
        for (LabelScore s : scores) {
            out.addObject().put("label", s.label()).put("score", s.score());
        }
        return out;
    }

    /** {@code entity, score, index, word, start, end} per token, or {@code entity_group, score, word, start, end}. */
    public static ArrayNode entities(List<Entity> entities) {
        ArrayNode out = JSON.createArrayNode();
        for (Entity e : entities) {
            ObjectNode o = out.addObject();
            if (e.grouped()) {
                o.put("entity_group", e.label()).put("score", e.score());
            } else {
                o.put("entity", e.label()).put("score", e.score()).put("index", e.index());
            }
            o.put("word", e.word()).put("start", e.start()).put("end", e.end());
        }
        return out;
    }
}
