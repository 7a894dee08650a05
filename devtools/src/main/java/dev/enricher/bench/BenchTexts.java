package dev.enricher.bench;

import dev.enricher.tokenize.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Realistic short events for benchmarks: chat messages and log lines, lengths skewed short as in chat traffic.
 * Deterministic for a seed. Stateless; thread-safe.
 */
public final class BenchTexts {
    private static final String[] WORDS = ("the a to and is in it you that of for on my this i was with but have "
            + "not are be just so at can what your all like do if me about no get one up out they how when we lol "
            + "thanks please great idiot stupid awesome love hate terrible server error timeout connection refused "
            + "retry user login failed payment checkout order shipped delayed Berlin Paris London Tokyo Microsoft "
            + "Google Amazon Angela Merkel Obama Tesla Reuters Monday tomorrow").split(" ");
    private static final String[] SERVICES = {"payment-service", "checkout", "auth", "search-api", "kafka-broker-3"};
    private static final String[] LEVELS = {"INFO", "WARN", "ERROR", "DEBUG"};

    private BenchTexts() {}

    /** {@code count} texts: two chat messages for each log line, in random order. */
    public static List<String> generate(int count, long seed) {
        Random random = new Random(seed);
        List<String> texts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            texts.add(random.nextInt(3) == 0 ? logLine(random) : chat(random));
        }
        return texts;
    }

    /**
     * {@code count} texts whose encoding by {@code tokenizer} (special tokens included) holds between
     * {@code minTokens} and {@code maxTokens} tokens; texts outside the range are skipped, so the mix stays
     * that of {@link #generate} within the range.
     */
    public static List<String> generate(int count, long seed, TextTokenizer tokenizer, int minTokens, int maxTokens) {
        if (minTokens < 3 || maxTokens < minTokens || maxTokens > tokenizer.maxLength()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "token range %d..%d must lie within 3..%d "
                    + "(the model's maximum length)", minTokens, maxTokens, tokenizer.maxLength()));
        }
        List<String> out = new ArrayList<>(count);
        long next = seed;
        while (out.size() < count) {
            List<String> candidates = generate(Math.max(64, count), next++);
            var encoded = tokenizer.encodeAll(candidates);
            for (int i = 0; i < candidates.size() && out.size() < count; i++) {
                int n = encoded.get(i).first().length();
                if (!encoded.get(i).truncated() && n >= minTokens && n <= maxTokens) {
                    out.add(candidates.get(i));
                }
            }
            if (next - seed > 1000) {
                throw new IllegalStateException("cannot find " + count + " texts of " + minTokens + ".." + maxTokens
                        + " tokens");
            }
        }
        return out;
    }

    private static String chat(Random random) {
        int words = 6 + (int) Math.min(44, Math.abs(random.nextGaussian()) * 14);
        StringBuilder s = new StringBuilder();
        for (int w = 0; w < words; w++) {
            if (w > 0) {
                s.append(' ');
            }
            s.append(WORDS[random.nextInt(WORDS.length)]);
        }
        return s.append(random.nextBoolean() ? "!" : ".").toString();
    }

    private static String logLine(Random random) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "2026-11-28T%02d:%02d:%02dZ %s [%s]",
                random.nextInt(24), random.nextInt(60), random.nextInt(60), LEVELS[random.nextInt(LEVELS.length)],
                SERVICES[random.nextInt(SERVICES.length)]));
        int words = 3 + random.nextInt(14);
        for (int w = 0; w < words; w++) {
            s.append(' ').append(WORDS[random.nextInt(WORDS.length)]);
        }
        return s.append(" id=").append(Integer.toHexString(random.nextInt())).toString();
    }
}
