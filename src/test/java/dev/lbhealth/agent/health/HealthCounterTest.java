package dev.lbhealth.agent.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HealthCounterTest {
  private static HealthCounter after(int rise, int fall, boolean... results) {
    HealthCounter c = new HealthCounter(rise, fall);
    for (boolean r : results) {
      c.record(r);
    }
    return c;
  }

  @Test
  void firstSuccessSettlesAnUnknownTargetButFailuresNeedFall() {
    assertEquals(Health.UNKNOWN, new HealthCounter(3, 3).health());
    assertEquals(Health.UP, after(3, 3, true).health());
    assertEquals(Health.UNKNOWN, after(3, 3, false, false).health());
    assertEquals(Health.DOWN, after(3, 3, false, false, false).health());
    assertEquals(Health.UP, after(3, 3, false, false, true).health(), "a slow first probe does not cost a working node");
  }

  @Test
  void fallNeedsConsecutiveFailures() {
    assertEquals(Health.UP, after(2, 2, true, false).health());
    assertEquals(Health.DOWN, after(2, 2, true, false, false).health());
  }

  @Test
  void interleavedResultsNeverTripFallOrRise() {
    assertEquals(Health.UP, after(2, 2, true, false, true, false, true, false).health());
    assertEquals(Health.DOWN, after(2, 2, false, false, true, false, true, false, true).health());
  }

  @Test
  void riseNeedsConsecutiveSuccesses() {
    assertEquals(Health.DOWN, after(3, 1, false, true, true).health());
    assertEquals(Health.UP, after(3, 1, false, true, true, true).health());
  }

  @Test
  void recordSaysWhenHealthChangedAndCountsRuns() {
    HealthCounter c = new HealthCounter(1, 2);
    assertTrue(c.record(true));
    assertEquals(Health.UP, c.health());
    assertFalse(c.record(false));
    assertEquals(1, c.consecutiveFailures());
    assertTrue(c.record(false));
    assertEquals(0, c.consecutiveSuccesses());
    assertTrue(c.record(true));
    assertEquals(Health.UP, c.health());
  }

  @Test
  void aVouchedForTargetRisesOnItsNextSuccessAndAFailureWithdrawsTheVouch() {
    HealthCounter c = new HealthCounter(3, 1);
    c.record(false);
    assertEquals(Health.DOWN, c.health());
    c.vouch();
    assertTrue(c.record(true), "one success is enough once vouched for");
    assertEquals(Health.UP, c.health());

    c.record(false);
    c.vouch();
    c.record(false); // the vouch is withdrawn
    c.record(true);
    assertEquals(Health.DOWN, c.health(), "without a vouch, rise 3 needs three successes");
    c.record(true);
    c.record(true);
    assertEquals(Health.UP, c.health());
  }
}
