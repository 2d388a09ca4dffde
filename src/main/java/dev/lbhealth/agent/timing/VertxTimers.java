package dev.lbhealth.agent.timing;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Timers on Vert.x: actions run on the context that set them. {@link #watchStalls} starts a tick
 * every {@link #TICK_MS} (up to a slot later) on the calling context; a gap of more than
 * {@link #STALL_MS} between two ticks is a stall of that context (the whole JVM in a GC pause, or
 * the event loop blocked).
 *
 * <p>{@link #schedule} batches: actions fall into slots of {@link #SLOT_MS}, and one Vert.x timer,
 * set for the earliest slot that holds anything, runs a whole slot. 10,000 targets probed every
 * second are 100 timers a second instead of 10,000 (each a task in Netty's scheduled queue and an
 * entry in Vert.x's timer map); an agent with nothing scheduled sets no timer at all. The slots
 * of the next few seconds are a wheel (an array of lists: scheduling is an append, no search and
 * no boxing); actions further ahead wait in a sorted map until their slot comes onto the wheel.
 * An action runs in the slot nearest its due time: up to half a slot early or late, or, asked
 * for at once, in the next slot. {@code schedule} is for one context:
 * the agent's.
 */
public final class VertxTimers implements Timers {
  private static final Logger LOG = LoggerFactory.getLogger(VertxTimers.class);
  static final long TICK_MS = 20;
  /**
   * The length of a batched slot. 10 ms: half the wake-ups of 5 ms slots (at 2,000 probes a second
   * those were a measurable share of the agent's CPU), and since an action goes to the slot nearest
   * its due time, it runs at most 5 ms early or late, as with 5 ms slots that round up.
   */
  public static final long SLOT_MS = 10;
  public static final long STALL_MS = 100;
  private final Vertx vertx;
  private volatile long lastTickMillis = nowMillisStatic();
  private volatile long lastStallEndMillis = Long.MIN_VALUE;
  private volatile long lastStallMillis;
  private final java.util.concurrent.atomic.AtomicLong stalls = new java.util.concurrent.atomic.AtomicLong();

  /** Slots on the wheel: 1,024 of 10 ms, the next 10.24 s (a probe interval is usually shorter). */
  static final int WHEEL_SLOTS = 1024;
  /**
   * The wheel: the actions of slot s (due time / {@link #SLOT_MS}, rounded to the nearest) for s in
   * ({@code ranSlot}, {@code ranSlot} + wheel size), at index s modulo the size, first to last.
   */
  private final Slotted[] first;
  private final Slotted[] last;
  /** Actions of slots past the wheel, by slot. */
  private final TreeMap<Long, List<Slotted>> later = new TreeMap<>();
  /** Every slot up to this one has run. */
  private long ranSlot = nowMillisStatic() / SLOT_MS;
  /** Actions waiting, called-off ones included until their slot comes. */
  private int waiting;
  private long armedSlot = Long.MAX_VALUE;
  private long armedTimer = -1;
  /** Slots are being run: the timer is set once, after them. */
  private boolean running;

  public VertxTimers(Vertx vertx) {
    this(vertx, WHEEL_SLOTS);
  }

  /** With a wheel of {@code wheelSlots} slots (tests use a small one, to send actions past it). */
  VertxTimers(Vertx vertx, int wheelSlots) {
    this.vertx = vertx;
    this.first = new Slotted[wheelSlots];
    this.last = new Slotted[wheelSlots];
  }

  /**
   * Starts the stall watch on the calling context (the one the probes run on, whose actions
   * {@link #schedule} takes). The tick is one of the batched actions: it runs in a slot that
   * probes wake the loop for anyway, not on a timer of its own (50 wake-ups a second fewer).
   */
  public void watchStalls() {
    lastTickMillis = nowMillis();
    schedule(TICK_MS, tick);
  }

  private final Runnable tick = this::tick;

  private void tick() {
    long now = nowMillis();
    long gap = now - lastTickMillis;
    if (gap > STALL_MS) {
      lastStallEndMillis = now;
      lastStallMillis = gap;
      stalls.incrementAndGet();
    }
    lastTickMillis = now;
    schedule(TICK_MS, tick);
  }

  @Override
  public boolean stalledSince(long sinceMillis) {
    return lastStallEndMillis >= sinceMillis || nowMillis() - lastTickMillis > STALL_MS;
  }

  /** When the last stall ended (monotonic millis, as {@link #nowMillis}), or Long.MIN_VALUE. */
  public long lastStallEndMillis() {
    return lastStallEndMillis;
  }

  /** How long the last stall lasted. */
  public long lastStallMillis() {
    return lastStallMillis;
  }

  public long stalls() {
    return stalls.get();
  }

  private static long nowMillisStatic() {
    return System.nanoTime() / 1_000_000;
  }

  @Override
  public long nowMillis() {
    return System.nanoTime() / 1_000_000;
  }

  @Override
  public long setTimer(long delayMillis, Runnable action) {
    return vertx.setTimer(Math.max(1, delayMillis), id -> action.run());
  }

  @Override
  public void cancelTimer(long id) {
    vertx.cancelTimer(id);
  }

  @Override
  public Scheduled schedule(long delayMillis, Runnable action) {
    long now = nowMillis();
    if (waiting == 0 && !running) {
      ranSlot = now / SLOT_MS; // idle until now: the wheel starts from here
    }
    long due = now + Math.max(1, delayMillis);
    // The slot nearest the due time, but always one after now's: a slot up to now's has run or is
    // running (ranSlot is at most now's slot), and an action put in it would wait a whole wheel.
    long slot = Math.max(now / SLOT_MS + 1, (due + SLOT_MS / 2) / SLOT_MS);
    Slotted scheduled = new Slotted(action);
    waiting++;
    if (slot - ranSlot < first.length) {
      append(slot, scheduled);
    } else {
      later.computeIfAbsent(slot, s -> new ArrayList<>()).add(scheduled);
    }
    if (slot < armedSlot && !running) {
      arm(slot);
    }
    return scheduled;
  }

  /** How many batched actions wait, called-off ones included until their slot comes. */
  int waiting() {
    return waiting;
  }

  private void append(long slot, Slotted action) {
    int i = (int) (slot % first.length);
    if (first[i] == null) {
      first[i] = action;
    } else {
      last[i].next = action;
    }
    last[i] = action;
  }

  private void arm(long slot) {
    if (armedTimer >= 0) {
      vertx.cancelTimer(armedTimer);
    }
    armedSlot = slot;
    armedTimer = vertx.setTimer(Math.max(1, slot * SLOT_MS - nowMillis()), id -> runDueSlots());
  }

  private void runDueSlots() {
    armedTimer = -1;
    armedSlot = Long.MAX_VALUE;
    running = true;
    try {
      runSlotsUpTo(nowMillis() / SLOT_MS);
    } finally {
      running = false;
    }
    long next = nextSlot();
    if (next != Long.MAX_VALUE) {
      arm(next);
    }
  }

  private void runSlotsUpTo(long nowSlot) {
    // An action scheduled by an action lands in a slot after nowSlot: never one this run takes.
    long end = Math.min(nowSlot, ranSlot + first.length - 1);
    for (long slot = ranSlot + 1; slot <= end; slot++) {
      int i = (int) (slot % first.length);
      Slotted action = first[i];
      first[i] = null;
      last[i] = null;
      while (action != null) {
        Slotted next = action.next;
        action.next = null; // a target holds its last action: not the rest of that slot's list
        run(action);
        action = next;
      }
    }
    ranSlot = nowSlot;
    Map.Entry<Long, List<Slotted>> entry;
    while ((entry = later.firstEntry()) != null && entry.getKey() - ranSlot < first.length) {
      later.pollFirstEntry();
      for (Slotted action : entry.getValue()) {
        if (entry.getKey() <= nowSlot) {
          run(action); // came due while past the wheel (the loop was held up)
        } else {
          append(entry.getKey(), action);
        }
      }
    }
  }

  /** Runs one action; one that fails is logged, and the slot's others still run. */
  private void run(Slotted action) {
    waiting--;
    try {
      action.run();
    } catch (RuntimeException e) {
      LOG.error("a scheduled action failed", e);
    }
  }

  /** The earliest slot that holds an action, or Long.MAX_VALUE. */
  private long nextSlot() {
    if (waiting == 0) {
      return Long.MAX_VALUE;
    }
    for (long slot = ranSlot + 1; slot < ranSlot + first.length; slot++) {
      if (first[(int) (slot % first.length)] != null) {
        return slot;
      }
    }
    return later.isEmpty() ? Long.MAX_VALUE : later.firstKey();
  }

  /** One batched action; called off, it stays in its slot as an empty entry until the slot runs. */
  private static final class Slotted implements Scheduled {
    private Runnable action;
    /** The next action of its slot. */
    Slotted next;

    Slotted(Runnable action) {
      this.action = action;
    }

    @Override
    public void cancel() {
      action = null;
    }

    void run() {
      Runnable a = action;
      action = null;
      if (a != null) {
        a.run();
      }
    }
  }
}
