package dev.lbhealth.agent.health;

import dev.lbhealth.agent.config.DampingConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FlapDampingTest {
  private final FlapDamping damping = new FlapDamping(DampingConfig.DEFAULT);

  @Test
  void aNodeThatGoesDownAndComesBackIsNeverDamped() {
    assertFalse(damping.flip(0));
    assertFalse(damping.flip(1_000));
    // a pod moving off and back a little later: two more changes, the first two half decayed
    assertFalse(damping.flip(10_000));
    assertFalse(damping.flip(11_000));
    assertFalse(damping.damped(11_000));
  }

  @Test
  void theFifthQuickChangeDampsAndTheNodeIsReleasedOnceStable() {
    for (int i = 0; i < 4; i++) {
      assertFalse(damping.flip(i * 100L), "change " + (i + 1));
    }
    assertTrue(damping.flip(400));
    // 5 decays below reuse 1 after log2(5) half-lives, about 23 s after the last change
    assertTrue(damping.damped(20_000));
    assertFalse(damping.damped(24_000));
    assertFalse(damping.damped(25_000), "stays released");
  }

  @Test
  void aNodeThatNeverStopsFlappingIsHeldAtMostMaxHoldAfterItsLastChange() {
    FlapDamping shortHold = new FlapDamping(new DampingConfig(Duration.ofSeconds(10), 4, 1, Duration.ofSeconds(30)));
    long t = 0;
    for (; t < 600_000; t += 100) { // ten minutes at 10 Hz
      shortHold.flip(t);
    }
    long last = t - 100;
    assertTrue(shortHold.damped(last + 29_000));
    assertFalse(shortHold.damped(last + 30_001));
  }

  @Test
  void offNeverDamps() {
    FlapDamping off = new FlapDamping(DampingConfig.OFF);
    for (int i = 0; i < 100; i++) {
      assertFalse(off.flip(i));
    }
    assertEquals(0, off.penalty(100));
  }
}
