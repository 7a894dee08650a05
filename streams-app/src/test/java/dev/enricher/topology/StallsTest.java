package dev.enricher.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.api.Test;

/** Readiness and liveness inputs: which tasks wait out which fault, and since when. */
class StallsTest {

    @Test
    void onlyFailingModelsCountTowardsTheLivenessLimitAndARepeatKeepsTheFirstTime() throws Exception {
        Stalls stalls = new Stalls();
        String a = new TaskId(0, 0).toString();
        String b = EnricherTopology.MODELS;
        stalls.stall(a, Stalls.REGISTRY, "connection refused");
        Thread.sleep(5);
        assertTrue(stalls.any());
        assertFalse(stalls.engineStalledLongerThan(Duration.ZERO), "a registry outage is not the models' fault");
        stalls.stall(b, Stalls.ENGINE, "Session is closed");
        Thread.sleep(5);
        assertTrue(stalls.engineStalledLongerThan(Duration.ofMillis(1)));
        stalls.stall(b, Stalls.ENGINE, "Session is closed again");
        assertTrue(stalls.engineStalledLongerThan(Duration.ofMillis(1)), "a repeat keeps the time of the first");
        assertFalse(stalls.engineStalledLongerThan(Duration.ofHours(1)));
        assertEquals(2, stalls.count());
        stalls.clear(b);
        assertFalse(stalls.engineStalledLongerThan(Duration.ZERO));
        stalls.clear(a);
        assertFalse(stalls.any());
    }
}
