package dev.lbhealth.agent.timing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The token bucket behind the reload budget, the file's writes, STATUS= and recoveries, on a fake clock. */
class ThrottleTest {
  private final FakeTimers clock = new FakeTimers();

  @Test
  void aPairGoesAtOnceThenOnePerInterval() {
    Throttle reloads = new Throttle(clock::nowNanos, Duration.ofSeconds(2), 2);
    assertEquals(0, reloads.waitMillis());
    reloads.spend();
    assertEquals(0, reloads.waitMillis(), "a pod move's second reload is not held");
    reloads.spend();
    assertEquals(2_000, reloads.waitMillis(), "then one per interval");
    clock.advance(1_500);
    assertEquals(500, reloads.waitMillis());
    clock.advance(500);
    assertEquals(0, reloads.waitMillis());
    reloads.spend();
    assertEquals(2_000, reloads.waitMillis(), "one token came back in 2 s, not two");
    clock.advance(60_000);
    reloads.spend();
    reloads.spend();
    assertEquals(2_000, reloads.waitMillis(), "a long quiet time fills the bucket to its burst only");
  }

  @Test
  void tryNowSpendsOnlyWhenItMayGo() {
    Throttle recovery = new Throttle(clock::nowNanos, Duration.ofSeconds(5), 1);
    assertTrue(recovery.tryNow());
    clock.advance(4_999);
    assertFalse(recovery.tryNow());
    clock.advance(1);
    assertTrue(recovery.tryNow(), "asking while held spent nothing");
  }

  @Test
  void noIntervalNeverHolds() {
    Throttle none = new Throttle(clock::nowNanos, Duration.ZERO, 2);
    for (int i = 0; i < 10; i++) {
      none.spend();
    }
    assertEquals(0, none.waitMillis());
  }
}
