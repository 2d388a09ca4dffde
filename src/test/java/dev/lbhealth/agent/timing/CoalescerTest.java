package dev.lbhealth.agent.timing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CoalescerTest {
  private final FakeTimers timers = new FakeTimers();
  private final List<Long> fired = new ArrayList<>();
  private final Coalescer coalescer = new Coalescer(timers, 10, 50, () -> fired.add(timers.nowMillis()));

  @Test
  void firesOnceAfterMinQuietTime() {
    coalescer.changed();
    timers.advance(9);
    assertEquals(List.of(), fired);
    timers.advance(1);
    assertEquals(List.of(10L), fired);
    timers.advance(100);
    assertEquals(List.of(10L), fired, "one change, one apply");
  }

  @Test
  void aBurstIsOneApply() {
    for (int i = 0; i < 5; i++) {
      coalescer.changed();
      timers.advance(3);
    }
    timers.advance(100);
    assertEquals(List.of(22L), fired, "last change at 12, quiet for 10");
  }

  @Test
  void aFlappingNodeCostsAtMostOneApplyPerMax() {
    for (int i = 0; i < 100; i++) { // a change every 5 ms for 500 ms
      coalescer.changed();
      timers.advance(5);
    }
    timers.advance(100);
    assertEquals(List.of(50L, 100L, 150L, 200L, 250L, 300L, 350L, 400L, 450L, 500L), fired,
        "every burst is cut at max = 50 ms; the last change (495) is applied at 500");
  }

  @Test
  void cancelForgetsAPendingChange() {
    coalescer.changed();
    coalescer.cancel();
    timers.advance(100);
    assertEquals(List.of(), fired);
  }
}
