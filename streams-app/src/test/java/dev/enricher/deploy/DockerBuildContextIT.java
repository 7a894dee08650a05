package dev.enricher.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.enricher.TestModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each Dockerfile's build stage without a Docker engine: the build context its {@code .dockerignore} lets
 * through, exactly the files its {@code COPY} instructions take from it, then its Maven command, offline, on the
 * local repository. The jar its runtime stage copies must exist and hold the service only.
 *
 * <p>Differs from a real build in the Maven (this one's, not the image's 3.9) and in {@code -o}. The GPU build
 * needs {@code onnxruntime_gpu} in the local repository; without it that case is skipped (both Dockerfiles copy
 * the same sources, which {@link DeployFilesTest} checks).
 */
class DockerBuildContextIT {
    private static final Path ROOT = TestModels.modelsDir().getParent();
    private static final Pattern MVN = Pattern.compile("(?:^|\\s)mvn\\s+(.*)$");
    /** Packages of the developer tooling and Kafka's broker (and Scala): the service jar holds no class of them. */
    private static final List<String> NOT_IN_SERVICE = List.of("scala/", "kafka/", "dev/enricher/devtools/",
            "dev/enricher/bench/", "dev/enricher/broker/");

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile", "Dockerfile.gpu"})
    void buildStageBuildsTheServiceFromItsContext(String name, @TempDir Path work) throws Exception {
        Path deploy = ROOT.resolve("deploy");
        DeployFilesTest.Dockerfile file = DeployFilesTest.Dockerfile.parse(read(deploy.resolve(name)),
                read(deploy.resolve(name + ".dockerignore")));
        List<String> context = context(ROOT, file.dockerignore());
        assertTrue(context.contains("pom.xml"), "the context holds the root pom: " + context.size() + " files");

        String workdir = file.stage(0, "WORKDIR").get(0);
        int copied = 0;
        for (String copy : file.stage(0, "COPY")) {
            copied += copy(context, copy, workdir, work);
        }
        System.out.println(name + ": " + context.size() + " files in the context, " + copied + " copied");

        List<String> args = mavenArgs(file);
        if (args.contains("-Pgpu")) {
            assumeTrue(Files.isDirectory(localRepository().resolve("com/microsoft/onnxruntime/onnxruntime_gpu")),
                    "onnxruntime_gpu is not in the local Maven repository; the offline GPU build cannot run here");
        }
        List<String> command = new ArrayList<>(List.of(mavenExecutable(), "-o",
                "-Dmaven.repo.local=" + localRepository()));
        command.addAll(args);
        Path log = work.resolve("build.log");
        Process process = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        boolean finished = process.waitFor(20, TimeUnit.MINUTES);
        if (!finished) {
            process.destroyForcibly();
        }
        String output = read(log);
        assertTrue(finished, name + ": the build did not finish within 20 minutes:\n" + output);
        assertEquals(0, process.exitValue(), name + ": " + command + " failed:\n" + output);

        Path jar = builtJar(file, workdir, work);
        assertTrue(Files.isRegularFile(jar), name + ": the runtime stage copies " + jar + ", which the build did not make");
        try (JarFile built = new JarFile(jar.toFile())) {
            assertEquals("dev.enricher.app.Main", built.getManifest().getMainAttributes().getValue("Main-Class"));
            List<String> foreign = built.stream().map(e -> e.getName()).filter(n -> n.endsWith(".class"))
                    .filter(n -> NOT_IN_SERVICE.stream().anyMatch(n::startsWith)).limit(5).toList();
            assertTrue(foreign.isEmpty(), name + ": the service jar holds developer tooling or the broker: " + foreign);
        }
        System.out.println(name + ": built " + jar.getFileName() + ", " + Files.size(jar) + " bytes");
    }

    /** The files (paths relative to {@code root}, '/'-separated) that a .dockerignore lets into the context. */
    static List<String> context(Path root, String dockerignore) throws IOException {
        List<String> rules = DeployFilesTest.rules(dockerignore);
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/'))
                    .filter(p -> included(p, rules)).sorted().toList();
        }
    }

    /** Docker's rule: the last pattern that matches the path or one of its parent folders decides. */
    static boolean included(String path, List<String> rules) {
        boolean included = true;
        for (String rule : rules) {
            boolean negated = rule.startsWith("!");
            Pattern pattern = glob(negated ? rule.substring(1) : rule);
            String prefix = path;
            while (true) {
                if (pattern.matcher(prefix).matches()) {
                    included = negated;
                    break;
                }
                int slash = prefix.lastIndexOf('/');
                if (slash < 0) {
                    break;
                }
                prefix = prefix.substring(0, slash);
            }
        }
        return included;
    }

    /** A .dockerignore pattern ({@code **}, {@code *}, {@code ?}; leading and trailing '/' dropped) as a regex. */
    static Pattern glob(String pattern) {
        String p = pattern.replaceAll("^/+", "").replaceAll("/+$", "");
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (p.startsWith("**/", i)) {
                regex.append("(?:.*/)?");
                i += 2;
            } else if (p.startsWith("**", i)) {
                regex.append(".*");
                i += 1;
            } else if (c == '*') {
                regex.append("[^/]*");
            } else if (c == '?') {
                regex.append("[^/]");
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString());
    }

    /**
     * Applies one build-stage {@code COPY src... dest} to the context: a file goes to {@code dest} (into it when
     * it ends with '/'), a folder's files go under {@code dest}. Returns how many files it copied.
     */
    private static int copy(List<String> context, String instruction, String workdir, Path work) throws IOException {
        List<String> parts = Arrays.stream(instruction.split("\\s+")).filter(a -> !a.startsWith("--")).toList();
        assertFalse(instruction.startsWith("--from="), "the build stage copies from the context only: " + instruction);
        String dest = parts.get(parts.size() - 1);
        Path target = inStage(dest, workdir, work);
        boolean intoFolder = dest.endsWith("/") || dest.equals(".") || parts.size() > 2;
        int copied = 0;
        for (String source : parts.subList(0, parts.size() - 1)) {
            String src = source.replaceAll("^\\./", "").replaceAll("/+$", "");
            int before = copied;
            for (String file : context) {
                Path to;
                if (file.equals(src)) {
                    to = intoFolder ? target.resolve(Path.of(file).getFileName()) : target;
                } else if (file.startsWith(src + "/")) {
                    to = target.resolve(file.substring(src.length() + 1));
                } else {
                    continue;
                }
                Files.createDirectories(to.getParent());
                Files.copy(ROOT.resolve(file), to, StandardCopyOption.REPLACE_EXISTING);
                copied++;
            }
            assertTrue(copied > before, "COPY " + source + ": nothing in the build context (as Docker would fail)");
        }
        return copied;
    }

    /** The path in {@code work} standing for a path of the build stage, which must lie in its WORKDIR. */
    private static Path inStage(String path, String workdir, Path work) {
        String absolute = path.startsWith("/") ? path : workdir + "/" + path;
        Path normal = Path.of(absolute).normalize();
        Path base = Path.of(workdir).normalize();
        assertTrue(normal.startsWith(base), path + " lies outside the build stage's WORKDIR " + workdir);
        return work.resolve(base.relativize(normal).toString());
    }

    /** The arguments of the build stage's {@code mvn} command. */
    private static List<String> mavenArgs(DeployFilesTest.Dockerfile file) {
        for (String run : file.stage(0, "RUN")) {
            var m = MVN.matcher(run);
            if (m.find()) {
                return List.of(m.group(1).strip().split("\\s+"));
            }
        }
        throw new AssertionError("the build stage runs no mvn command: " + file.stage(0, "RUN"));
    }

    /** The runtime stage's {@code COPY --from=build <jar> ...} source, in {@code work}. */
    private static Path builtJar(DeployFilesTest.Dockerfile file, String workdir, Path work) {
        String copy = file.stage(file.stages().size() - 1, "COPY").stream().filter(c -> c.startsWith("--from=build "))
                .findFirst().orElse(null);
        assertNotNull(copy, "the runtime stage copies the jar from the build stage");
        return inStage(copy.split("\\s+")[1], workdir, work);
    }

    private static String mavenExecutable() {
        String home = System.getProperty("maven.home", "");
        Path mvn = Path.of(home, "bin", "mvn");
        return !home.isBlank() && Files.isExecutable(mvn) ? mvn.toString() : "mvn";
    }

    private static Path localRepository() {
        String repo = System.getProperty("maven.repo.local", "");
        return repo.isBlank() ? Path.of(System.getProperty("user.home"), ".m2", "repository") : Path.of(repo);
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }
}
