package dev.lbhealth.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
  @Test
  void parsesEveryUnit() {
    assertEquals(Duration.ofMillis(250), Durations.parse("250ms"));
    assertEquals(Duration.ofMillis(1500), Durations.parse("1.5s"));
    assertEquals(Duration.ofMinutes(2), Durations.parse("2m"));
    assertEquals(Duration.ofHours(1), Durations.parse("1h"));
  }

  @Test
  void refusesNumbersWithoutUnitsAndNegatives() {
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("100"));
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("-1s"));
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("1 sec"));
  }

  @Test
  void formatsWhatItParses() {
    assertEquals("3s", Durations.format(Durations.parse("3s")));
    assertEquals("80ms", Durations.format(Durations.parse("80ms")));
  }
}
