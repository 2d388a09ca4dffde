package dev.lbhealth.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile-config corpus ({@code src/test/resources/hostile-configs}: broken YAML, alias bombs,
 * deep nesting, out-of-range and injected values, non-UTF-8 bytes) plus two big files made here.
 * Each goes to {@code check-config} in its own JVM with the unit's options ({@code -Xmx128m}, serial
 * GC, the JIT stopped at C1), as an operator would run it: exit 2 within 2 s, the file named, every error on one line,
 * no Java class or exception name in the text.
 */
class HostileConfigCorpusTest {
  private static final Pattern JAVA_NAME = Pattern.compile("\\b(?:java|javax|com|org|io|dev|sun|jdk)\\.[a-z]|Exception\\b|\\bat [a-z]+\\.");

  @TempDir static Path dir;

  @TestFactory
  Stream<DynamicTest> everyHostileConfigIsRefusedFastAndInPlainWords() throws IOException, URISyntaxException {
    Path corpus = Path.of(HostileConfigCorpusTest.class.getResource("/hostile-configs").toURI());
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.list(corpus)) {
      s.sorted().forEach(files::add);
    }
    assertTrue(files.size() >= 40, "the corpus holds " + files.size() + " files");
    files.add(Files.writeString(dir.resolve("two-megabytes.yaml"), "services:\n  - name: \"" + "x".repeat(2 << 20) + "\"\n"));
    files.add(Files.writeString(dir.resolve("fifty-megabytes-one-string.yaml"), "x: \"" + "y".repeat(50 << 20) + "\"\n"));
    return files.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> refused(file)));
  }

  private static void refused(Path file) throws IOException, InterruptedException {
    Path out = dir.resolve(file.getFileName() + ".out");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
        "check-config", file.toString())
        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
    boolean ended = p.waitFor(2, TimeUnit.SECONDS);
    if (!ended) {
      p.destroyForcibly().waitFor();
    }
    String text = Files.readString(out, StandardCharsets.UTF_8);
    assertTrue(ended, file.getFileName() + ": still running after 2 s");
    assertEquals(2, p.exitValue(), file.getFileName() + ": exit code; said: " + text);
    assertTrue(text.contains(file.toString()), "names the file: " + text);
    List<String> errors = text.lines().filter(l -> l.startsWith("  ")).toList();
    assertFalse(errors.isEmpty(), "says what is wrong: " + text);
    errors.forEach(e -> assertTrue(e.length() < 300, "short: " + e));
    assertFalse(JAVA_NAME.matcher(text).find(), "no Java names: " + text);
    assertTrue(text.chars().noneMatch(c -> c < 0x20 && c != '\n'), "no raw control characters: " + text);
  }
}
