package dev.lbhealth.agent.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a real command and keeps what it printed. */
record Shell(int exit, String out) {
  static Shell run(Path dir, List<String> command) throws IOException, InterruptedException {
    Path out = Files.createTempFile("shell", ".out");
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IOException(command + " did not end within 5 minutes");
      }
      return new Shell(p.exitValue(), Files.readString(out));
    } finally {
      Files.deleteIfExists(out);
    }
  }

  static Shell run(Path dir, String... command) throws IOException, InterruptedException {
    return run(dir, List.of(command));
  }
}
