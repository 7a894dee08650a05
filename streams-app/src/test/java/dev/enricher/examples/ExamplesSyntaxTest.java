package dev.enricher.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The Python consumer example compiles (python3 -m py_compile). It is not run here: it needs confluent-kafka 2.x
 * with fastavro, which these machines lack (ConsumerExamplesIT runs the Java example; RegistryIT decodes the
 * output with Debian's older confluent-kafka through its legacy Avro API).
 */
class ExamplesSyntaxTest {

    @Test
    void thePythonExampleCompiles() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python), "no /usr/bin/python3");
        Path example = Path.of("..", "docs", "examples", "consume_enriched.py");
        Process check = new ProcessBuilder(python.toString(), "-c", "import ast, sys; ast.parse(open(sys.argv[1], "
                + "encoding='utf-8').read(), sys.argv[1])", example.toString()).redirectErrorStream(true).start();
        String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        check.waitFor(30, TimeUnit.SECONDS);
        assertEquals(0, check.exitValue(), out);
    }
}
