package dev.enricher.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.TestModels;
import dev.enricher.inference.InferenceSettings.Device;
import dev.enricher.inference.InferenceSettings.Precision;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * GPU providers on a machine without them (the CPU build of ONNX Runtime, or no GPU): fall back to CPU with the
 * device saying so, or fail naming the setting. Skipped where a GPU provider actually loads.
 */
class DeviceFallbackTest {

    @ParameterizedTest
    @EnumSource(value = Device.class, names = {"CUDA", "TENSORRT"})
    void fallsBackToCpuWhenAllowed(Device device) {
        InferenceSettings settings = new InferenceSettings(device, 0, true, 1, false, Precision.EXACT);
        try (ModelBundle bundle = ModelBundle.load(TestModels.bundle(TestModels.SENTIMENT), settings)) {
            Assumptions.assumeTrue(bundle.fellBackToCpu(), "a GPU provider loaded here: nothing to fall back from");
            System.out.println("fallback: " + bundle.device());
            assertEquals("cpu (fallback from " + device.id() + ":0)", bundle.device());
            assertEquals("exact", bundle.precision());
            try (ModelBundle cpu = ModelBundle.load(TestModels.bundle(TestModels.SENTIMENT), InferenceSettings.cpu(1))) {
                assertFalse(cpu.fellBackToCpu());
                assertEquals("cpu", cpu.device());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Device.class, names = {"CUDA", "TENSORRT"})
    void failsNamingTheSettingWhenFallbackIsOff(Device device) {
        InferenceSettings settings = new InferenceSettings(device, 0, false, 1, false, Precision.EXACT);
        try (ModelBundle bundle = ModelBundle.load(TestModels.bundle(TestModels.SENTIMENT), settings)) {
            Assumptions.abort("a GPU provider loaded here (" + bundle.device() + "): no failure to check");
        } catch (BundleException e) {
            System.out.println("no fallback: " + e.getMessage());
            assertTrue(e.getMessage().contains("cannot run on " + device.id() + ":0 (inference.device=" + device.id()
                    + ")"), e.getMessage());
            assertTrue(e.getMessage().contains("inference.fallback=cpu"), e.getMessage());
        }
    }

    @Test
    void settingsRejectNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new InferenceSettings(Device.CPU, 0, false, 0, false,
                Precision.EXACT));
        assertThrows(IllegalArgumentException.class, () -> new InferenceSettings(Device.CUDA, -1, false, 1, false,
                Precision.EXACT));
    }
}
