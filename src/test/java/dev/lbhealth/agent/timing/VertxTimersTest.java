package dev.lbhealth.agent.timing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The batched schedule that drives the probes, on a real Vert.x context. */
class VertxTimersTest {
  private final Vertx vertx = Vertx.vertx();
  private final Context context = vertx.getOrCreateContext();
  private final VertxTimers timers = new VertxTimers(vertx);

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private <T> T onContext(Callable<T> work) throws Exception {
    Promise<T> result = Promise.promise();
    context.runOnContext(v -> {
      try {
        result.complete(work.call());
      } catch (Exception e) {
        result.fail(e);
      }
    });
    return result.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void scheduledActionsRunWithinHalfASlotOfWhenAsked() throws Exception {
    runWithinHalfASlotOfWhenAsked(timers);
  }

  /** Actions past the wheel wait in order until their slot comes onto it: same promise. */
  @Test
  void actionsFurtherAheadThanTheWheelRunOnTimeToo() throws Exception {
    runWithinHalfASlotOfWhenAsked(new VertxTimers(vertx, 8)); // an 80 ms wheel, delays up to 199 ms
  }

  @Test
  void aFailingActionDoesNotStopTheOthersOfItsSlot() throws Exception {
    List<String> ran = Collections.synchronizedList(new ArrayList<>());
    Promise<Void> lastRan = Promise.promise();
    onContext(() -> {
      timers.schedule(20, () -> ran.add("before"));
      timers.schedule(20, () -> {
        throw new IllegalStateException("a bug in one action");
      });
      timers.schedule(20, () -> ran.add("after"));
      timers.schedule(60, () -> {
        ran.add("next slot");
        lastRan.complete();
      });
      return null;
    });
    lastRan.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(List.of("before", "after", "next slot"), ran);
  }

  private void runWithinHalfASlotOfWhenAsked(VertxTimers timers) throws Exception {
    int n = 2_000;
    List<long[]> late = Collections.synchronizedList(new ArrayList<>());
    Promise<Void> allRan = Promise.promise();
    onContext(() -> {
      for (int i = 0; i < n; i++) {
        long delay = i % 200; // 0..199 ms: many actions share a slot
        long asked = timers.nowMillis() + Math.max(1, delay);
        timers.schedule(delay, () -> {
          late.add(new long[] {timers.nowMillis() - asked});
          if (late.size() == n) {
            allRan.complete();
          }
        });
      }
      return null;
    });
    allRan.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    // An action goes to the slot nearest its due time: half a slot early at most (plus a
    // millisecond of the clock's rounding), and as a rule about on time, give or take the loop's
    // own scheduling (generous, as CI machines are busy).
    long earliest = late.stream().mapToLong(l -> l[0]).min().orElseThrow();
    assertTrue(earliest >= -(VertxTimers.SLOT_MS / 2 + 1), "an action ran " + -earliest + " ms before it was due");
    long median = late.stream().mapToLong(l -> l[0]).sorted().skip(n / 2).findFirst().orElseThrow();
    assertTrue(median <= VertxTimers.SLOT_MS / 2 + 5, "median lateness " + median + " ms");
    assertEquals(0, (int) onContext(timers::waiting), "every slot ran and was let go");
  }

  @Test
  void aCalledOffActionNeverRuns() throws Exception {
    List<String> ran = Collections.synchronizedList(new ArrayList<>());
    Promise<Void> lastRan = Promise.promise();
    onContext(() -> {
      Timers.Scheduled first = timers.schedule(20, () -> ran.add("called off"));
      timers.schedule(20, () -> ran.add("kept"));
      timers.schedule(60, () -> {
        ran.add("last");
        lastRan.complete();
      });
      first.cancel();
      return null;
    });
    lastRan.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(List.of("kept", "last"), ran);
  }

  @Test
  void anActionMayScheduleTheNextOneFromWithinItsSlot() throws Exception {
    List<Long> runs = Collections.synchronizedList(new ArrayList<>());
    Promise<Void> done = Promise.promise();
    Runnable[] again = new Runnable[1];
    again[0] = () -> {
      runs.add(timers.nowMillis());
      if (runs.size() == 5) {
        done.complete();
      } else {
        timers.schedule(0, again[0]); // "at once" is the next slot, never this one again
      }
    };
    onContext(() -> timers.schedule(0, again[0]));
    Future<Void> f = done.future();
    f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    for (int i = 1; i < runs.size(); i++) {
      assertTrue(runs.get(i) > runs.get(i - 1), "each run came after the one that scheduled it: " + runs);
    }
  }
}
