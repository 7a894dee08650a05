package dev.enricher.devtools;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Sample input of the demo: chat messages and log lines of mixed lengths, with a few bad records among them. */
final class DemoEvents {
    private static final String[] CHAT = {
        "Barack Obama met Angela Merkel in Berlin on Tuesday.",
        "you are such an idiot lol",
        "Have a great day everyone!!!",
        "I will find you and you will regret it",
        "Apple Inc. is opening a new office in London next year, said Tim Cook.",
        "José Müller moved from São Paulo to Zürich.",
        "I ❤️ New York 🗽 and Paris 🇫🇷",
        "can someone from the Microsoft team in Seattle look at ticket 4411? it has been open since Monday and "
            + "the customer in Toronto keeps calling about the outage",
        "thanks!",
        "I absolutely love the new update, great job team!",
        "The delivery was late and the box arrived broken. Terrible service.",
        "The United Nations Security Council met in New York with delegates from France, China and Brazil.",
    };
    private static final String[] SERVICES = {"payment-service", "checkout", "auth", "search-api", "kafka-broker-3"};
    private static final String[] LOG_TEMPLATES = {
        "%s ERROR [%s] Connection refused to db-01.internal:5432 after %d retries",
        "%s WARN [%s] disk /var/lib/kafka is %d%% full on host broker-3",
        "%s INFO [%s] user jane.doe@example.org logged in from 10.0.0.%d via https://sso.example.com/login",
        "%s ERROR [%s] request failed with status 503 after %d ms; upstream Amazon Web Services us-east-1 timed out",
    };

    /** One input record: a JSON value, or a deliberately bad one; {@code id} is null for bad records. */
    record Event(String id, byte[] value, String kind) {}

    private DemoEvents() {}

    static List<Event> generate(int count, long seed) {
        Random random = new Random(seed);
        List<Event> events = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (i % 50 == 17) {
                events.add(bad(i));
                continue;
            }
            String id = "demo-" + i;
            String text;
            if (random.nextBoolean()) {
                text = CHAT[random.nextInt(CHAT.length)];
            } else {
                String time = String.format("2026-11-28T10:%02d:%02dZ", (i / 60) % 60, i % 60);
                text = String.format(LOG_TEMPLATES[random.nextInt(LOG_TEMPLATES.length)], time,
                        SERVICES[random.nextInt(SERVICES.length)], 1 + random.nextInt(99));
            }
            String json = "{\"id\":\"" + id + "\",\"text\":" + jsonString(text) + "}";
            events.add(new Event(id, json.getBytes(StandardCharsets.UTF_8), "good"));
        }
        return events;
    }

    private static Event bad(int i) {
        return switch ((i / 50) % 4) {
            case 0 -> new Event(null, "{\"id\": \"broken".getBytes(StandardCharsets.UTF_8), "invalid JSON");
            case 1 -> new Event(null, "{\"message\": \"no text field\"}".getBytes(StandardCharsets.UTF_8), "no text field");
            case 2 -> new Event(null, new byte[] {'{', (byte) 0xff, (byte) 0xfe, '}'}, "not UTF-8");
            default -> new Event(null, null, "tombstone");
        };
    }

    static String jsonString(String s) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
