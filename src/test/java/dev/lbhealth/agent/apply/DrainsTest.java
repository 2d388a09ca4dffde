package dev.lbhealth.agent.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.timing.FakeTimers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The drain of servers leaving HAProxy on a fake clock, to the millisecond: deleted once they have
 * no session, their sessions shut at the drain timeout (once), then deleted once those are gone.
 */
class DrainsTest {
  private final FakeTimers clock = new FakeTimers();
  private final Drains drains = new Drains(clock, Duration.ofSeconds(10));

  @Test
  void aServerWithSessionsDrainsUntilTheTimeoutExactlyThenIsShutOnceAndDeletedAfter() {
    Map<String, Integer> held = Map.of("galileo", 3);
    assertEquals(new Drains.Verdict(Set.of(), Set.of(), true), drains.look(List.of("galileo"), held), "leaving at 0 ms");
    clock.advance(9_999);
    assertEquals(new Drains.Verdict(Set.of(), Set.of(), true), drains.look(List.of("galileo"), held), "1 ms before the timeout");
    clock.advance(1);
    assertEquals(new Drains.Verdict(Set.of(), Set.of("galileo"), true), drains.look(List.of("galileo"), held), "at the timeout");
    drains.shut("galileo");
    clock.advance(1_000);
    assertEquals(new Drains.Verdict(Set.of(), Set.of(), true), drains.look(List.of("galileo"), held), "shut once, not again");
    assertEquals(new Drains.Verdict(Set.of("galileo"), Set.of(), false), drains.look(List.of("galileo"), Map.of()));
    assertTrue(drains.deleted("galileo"), "deleted after its sessions were shut at the timeout");
    assertFalse(drains.any());
  }

  @Test
  void aServerWithoutSessionsGoesAtOnceAndOneThatCameBackStartsAnewIfItLeavesAgain() {
    assertEquals(new Drains.Verdict(Set.of("newton"), Set.of(), true),
        drains.look(List.of("newton", "galileo"), Map.of("galileo", 1)));
    assertFalse(drains.deleted("newton"), "drained, not cut");
    clock.advance(6_000);
    drains.look(List.of(), Map.of()); // galileo is back in the set
    clock.advance(6_000);
    assertEquals(new Drains.Verdict(Set.of(), Set.of(), true), drains.look(List.of("galileo"), Map.of("galileo", 1)),
        "its drain starts now: 12 s after it first left is not its timeout");
    clock.advance(10_000);
    assertEquals(new Drains.Verdict(Set.of(), Set.of("galileo"), true), drains.look(List.of("galileo"), Map.of("galileo", 1)));
  }
}
