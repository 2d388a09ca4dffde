package dev.lbhealth.agent.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {
  @TempDir Path dir;

  private List<String> names() throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void writesANewFileWith0644AndLeavesNoTempFile() throws Exception {
    Path f = dir.resolve("a.cfg");
    AtomicFile.write(f, "backend a\n");
    assertEquals("backend a\n", Files.readString(f));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    assertEquals(List.of("a.cfg"), names());
  }

  @Test
  void keepsTheModeOfTheFileItReplaces() throws Exception {
    Path f = dir.resolve("a.cfg");
    Files.writeString(f, "old\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
    AtomicFile.write(f, "new\n");
    assertEquals("new\n", Files.readString(f));
    assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
  }

  @Test
  void readSaysNullForAMissingFile() throws Exception {
    assertNull(AtomicFile.read(dir.resolve("none.cfg")));
  }
}
