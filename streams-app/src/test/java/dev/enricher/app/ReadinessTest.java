package dev.enricher.app;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;

/** /health/ready's rule: a rebalance after the first start keeps the pod ready; nothing else it used to allow changes. */
class ReadinessTest {

    @Test
    void aRebalanceAfterTheFirstStartKeepsTheServiceReady() {
        assertTrue(EnricherService.ready(State.RUNNING, true, false, false));
        assertTrue(EnricherService.ready(State.REBALANCING, true, false, false), "routine rebalance");
    }

    @Test
    void notReadyBeforeTheFirstRunningWhileStoppingStalledOrFailed() {
        assertFalse(EnricherService.ready(State.CREATED, false, false, false));
        assertFalse(EnricherService.ready(State.REBALANCING, false, false, false), "first assignment still under way");
        assertFalse(EnricherService.ready(State.RUNNING, true, true, false), "stopping");
        assertFalse(EnricherService.ready(State.REBALANCING, true, true, false), "stopping");
        assertFalse(EnricherService.ready(State.RUNNING, true, false, true), "a task waits out a transient fault");
        assertFalse(EnricherService.ready(State.REBALANCING, true, false, true), "a task waits out a transient fault");
        for (State state : new State[] {State.PENDING_SHUTDOWN, State.NOT_RUNNING, State.PENDING_ERROR, State.ERROR}) {
            assertFalse(EnricherService.ready(state, true, false, false), state.name());
        }
    }
}
