package dev.enricher.inference;

import dev.enricher.tokenize.TokenWindow;
import dev.enricher.tokenize.Tokenized;
import dev.enricher.tokenize.TokensToString;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Post-processing of token classifiers, as the transformers {@code token-classification} pipeline: softmax per
 * token, word rebuilding, the five aggregation strategies, {@code ignore_labels}, and the merging of entities
 * found in overlapping windows.
 */
public final class TokenClassification {
    private TokenClassification() {}

    /** Which windows of a text longer than the model run. */
    public enum Windows {
        /** The first window only: the text truncated to the model's length (transformers without stride). */
        TRUNCATE,
        /** The windows transformers 5.17 runs with a stride (parity): see {@code NerPipeline.transformersWindows}. */
        TRANSFORMERS,
        /** Windows over the whole text, each overlapping the previous one by the stride. */
        FULL;

        public static Windows parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("windows '" + name + "' is not one of truncate, transformers, full");
            }
        }

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * @param windows which windows of a long text run
     * @param ignoreLabels entities and groups with these labels are dropped; transformers' default is {@code O}
     */
    public record Options(Aggregation aggregation, Windows windows, Set<String> ignoreLabels) {
        public Options {
            if (aggregation == Aggregation.NONE && windows != Windows.TRUNCATE) {
                throw new IllegalArgumentException("aggregation 'none' cannot be combined with a stride (windows of "
                        + "long texts): tokens of overlapping windows cannot be merged; use simple, first, average "
                        + "or max, or no stride");
            }
            ignoreLabels = Set.copyOf(ignoreLabels);
        }

        public static Options of(Aggregation aggregation, Windows windows) {
            return new Options(aggregation, windows, Set.of("O"));
        }
    }

    /** What the tokenizer tells about words: how to detect sub-words and join tokens. */
    public record Words(boolean wordAware, long unkTokenId, TokensToString tokensToString) {}

    public record Result(List<Entity> entities, boolean truncated, int windows) {}

    private record PreEntity(String word, float[] scores, int start, int end, int index, boolean subword) {}

    /**
     * Entities of one text from the windows it ran on and their logits ({@code [tokens][labels]}, first window
     * first).
     */
    public static Result postprocess(Tokenized text, List<TokenWindow> windows, List<float[][]> windowLogits,
                                     List<String> labels, Words words, Options options) {
        int used = windows.size();
        CodePoints codePoints = new CodePoints(text.text());
        List<Entity> entities = new ArrayList<>();
        for (int w = 0; w < used; w++) {
            List<PreEntity> pre = gather(codePoints, windows.get(w), windowLogits.get(w), words);
            for (Entity e : aggregate(pre, labels, words.tokensToString(), options.aggregation())) {
                if (!options.ignoreLabels().contains(e.label())) {
                    entities.add(e);
                }
            }
        }
        if (used > 1) {
            entities = mergeOverlapping(entities);
        }
        return new Result(List.copyOf(entities), text.truncated(), used);
    }

    private static List<PreEntity> gather(CodePoints text, TokenWindow window, float[][] logits, Words words) {
        List<PreEntity> pre = new ArrayList<>(window.length());
        for (int i = 0; i < window.length(); i++) {
            if (window.special()[i]) {
                continue;
            }
            int start = window.starts()[i];
            int end = window.ends()[i];
            String word = window.tokens()[i];
            String wordRef = text.slice(start, end);
            boolean subword;
            if (words.wordAware()) {
                subword = word.codePointCount(0, word.length()) != end - start;
            } else {
                subword = start > 0 && !text.slice(start - 1, Math.min(start + 1, text.length())).contains(" ");
            }
            if (window.ids()[i] == words.unkTokenId()) {
                word = wordRef;
                subword = false;
            }
            pre.add(new PreEntity(word, Softmax.of(logits[i]), start, end, i, subword));
        }
        return pre;
    }

    private static List<Entity> aggregate(List<PreEntity> pre, List<String> labels, TokensToString join,
                                          Aggregation aggregation) {
        List<Entity> entities = new ArrayList<>(pre.size());
        if (aggregation == Aggregation.NONE || aggregation == Aggregation.SIMPLE) {
            for (PreEntity p : pre) {
                int best = Softmax.argmax(p.scores());
                entities.add(new Entity(labels.get(best), p.scores()[best], p.word(), p.start(), p.end(), p.index()));
            }
        } else {
            List<PreEntity> word = new ArrayList<>();
            for (PreEntity p : pre) {
                if (!word.isEmpty() && !p.subword()) {
                    entities.add(aggregateWord(word, labels, join, aggregation));
                    word.clear();
                }
                word.add(p);
            }
            if (!word.isEmpty()) {
                entities.add(aggregateWord(word, labels, join, aggregation));
            }
        }
        return aggregation == Aggregation.NONE ? entities : group(entities, join);
    }

    private static Entity aggregateWord(List<PreEntity> tokens, List<String> labels, TokensToString join,
                                        Aggregation aggregation) {
        float[] scores = switch (aggregation) {
            case FIRST -> tokens.get(0).scores();
            case MAX -> {
                PreEntity best = tokens.get(0);
                for (PreEntity p : tokens) {
                    if (max(p.scores()) > max(best.scores())) {
                        best = p;
                    }
                }
                yield best.scores();
            }
            case AVERAGE -> {
                float[] sum = new float[labels.size()];
                for (PreEntity p : tokens) {
                    for (int i = 0; i < sum.length; i++) {
                        sum[i] += p.scores()[i];
                    }
                }
                for (int i = 0; i < sum.length; i++) {
                    sum[i] /= tokens.size();
                }
                yield sum;
            }
            default -> throw new IllegalArgumentException("not a word aggregation: " + aggregation);
        };
        int best = Softmax.argmax(scores);
        List<String> pieces = new ArrayList<>(tokens.size());
        for (PreEntity p : tokens) {
            pieces.add(p.word());
        }
        // index -1 until grouping: word-level entities are never returned ungrouped
        return new Entity(labels.get(best), scores[best], join.join(pieces), tokens.get(0).start(),
                tokens.get(tokens.size() - 1).end(), -1);
    }

    private static float max(float[] values) {
        return values[Softmax.argmax(values)];
    }

    private static List<Entity> group(List<Entity> entities, TokensToString join) {
        List<Entity> groups = new ArrayList<>();
        List<Entity> current = new ArrayList<>();
        for (Entity e : entities) {
            if (!current.isEmpty()) {
                Tag tag = Tag.of(e.label());
                Tag last = Tag.of(current.get(current.size() - 1).label());
                if (!(tag.type().equals(last.type()) && !tag.begins())) {
                    groups.add(groupOf(current, join));
                    current.clear();
                }
            }
            current.add(e);
        }
        if (!current.isEmpty()) {
            groups.add(groupOf(current, join));
        }
        return groups;
    }

    private static Entity groupOf(List<Entity> members, TokensToString join) {
        String label = members.get(0).label();
        int dash = label.indexOf('-');
        String type = dash < 0 ? label : label.substring(dash + 1);
        float sum = 0;
        List<String> words = new ArrayList<>(members.size());
        for (Entity e : members) {
            sum += e.score();
            words.add(e.word());
        }
        return new Entity(type, sum / members.size(), join.join(words), members.get(0).start(),
                members.get(members.size() - 1).end(), -1);
    }

    /** B-/I- prefix and entity type of a label; a label without prefix continues like I-. */
    private record Tag(boolean begins, String type) {
        static Tag of(String label) {
            if (label.startsWith("B-")) {
                return new Tag(true, label.substring(2));
            }
            if (label.startsWith("I-")) {
                return new Tag(false, label.substring(2));
            }
            return new Tag(false, label);
        }
    }

    /** Of entities that overlap, keeps the longest, then the highest-scoring, as transformers does across windows. */
    private static List<Entity> mergeOverlapping(List<Entity> entities) {
        if (entities.isEmpty()) {
            return entities;
        }
        List<Entity> sorted = new ArrayList<>(entities);
        sorted.sort(Comparator.comparingInt(Entity::start));
        List<Entity> merged = new ArrayList<>();
        Entity previous = sorted.get(0);
        for (Entity e : sorted) {
            if (previous.start() <= e.start() && e.start() < previous.end()) {
                int length = e.end() - e.start();
                int previousLength = previous.end() - previous.start();
                if (length > previousLength || (length == previousLength && e.score() > previous.score())) {
                    previous = e;
                }
            } else {
                merged.add(previous);
                previous = e;
            }
        }
        merged.add(previous);
        return merged;
    }

    /** Code-point indexing of a Java string, as Python's {@code str} indexes. */
    static final class CodePoints {
        private final String text;
        private final int[] charIndex;

        CodePoints(String text) {
            this.text = text;
            int n = text.codePointCount(0, text.length());
            charIndex = new int[n + 1];
            int c = 0;
            for (int i = 0; i < n; i++) {
                charIndex[i] = c;
                c += Character.charCount(text.codePointAt(c));
            }
            charIndex[n] = text.length();
        }

        int length() {
            return charIndex.length - 1;
        }

        /** {@code text[start:end]} in code points, clamped as Python slices are. */
        String slice(int start, int end) {
            int s = Math.max(0, Math.min(start, length()));
            int e = Math.max(s, Math.min(end, length()));
            return text.substring(charIndex[s], charIndex[e]);
        }
    }
}
