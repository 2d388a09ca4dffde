package dev.lbhealth.agent.probe;

import io.netty.channel.IoEventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The timeouts of the probes that are out on one event loop, with one scheduled check for the
 * earliest rather than a scheduled task per probe (10,000 a second at scale, each an object and
 * two operations on the loop's priority queue). Probes of the same timeout end in the order they
 * started, so each timeout's probes form a queue; a probe that ends leaves its queue at once (a
 * linked list), so only probes really out are held. The check expires the due ones and sets
 * itself again for the next. Used on the loop only.
 */
final class ProbeDeadlines {
  /** The probes out with one timeout, oldest first. */
  static final class Queue {
    final long timeoutNanos;
    EpollConnect head;
    EpollConnect tail;

    Queue(long timeoutNanos) {
      this.timeoutNanos = timeoutNanos;
    }
  }

  private final IoEventLoop loop;
  /** One queue per timeout in use: a service has its probe timeout and the first probes' one. */
  private final List<Queue> queues = new ArrayList<>(2);
  private ScheduledFuture<?> check;
  private long checkAtNanos;

  ProbeDeadlines(IoEventLoop loop) {
    this.loop = loop;
  }

  /** Holds {@code probe}, started at {@code startNanos}, until it ends or its timeout passes. */
  void add(EpollConnect probe, long startNanos, int timeoutMs) {
    Queue queue = queue(TimeUnit.MILLISECONDS.toNanos(timeoutMs));
    probe.deadlineNanos = startNanos + queue.timeoutNanos;
    probe.queue = queue;
    probe.previous = queue.tail;
    probe.next = null;
    if (queue.tail == null) {
      queue.head = probe;
    } else {
      queue.tail.next = probe;
    }
    queue.tail = probe;
    if (check == null || probe.deadlineNanos < checkAtNanos) {
      checkAt(probe.deadlineNanos);
    }
  }

  /** Lets go of a probe that ended; a probe not held is left alone. */
  void remove(EpollConnect probe) {
    Queue queue = probe.queue;
    if (queue == null) {
      return;
    }
    if (probe.previous == null) {
      queue.head = probe.next;
    } else {
      probe.previous.next = probe.next;
    }
    if (probe.next == null) {
      queue.tail = probe.previous;
    } else {
      probe.next.previous = probe.previous;
    }
    probe.queue = null;
    probe.previous = null;
    probe.next = null;
  }

  /** How many probes are held (for tests). */
  int held() {
    int n = 0;
    for (Queue q : queues) {
      for (EpollConnect p = q.head; p != null; p = p.next) {
        n++;
      }
    }
    return n;
  }

  private Queue queue(long timeoutNanos) {
    for (Queue q : queues) {
      if (q.timeoutNanos == timeoutNanos) {
        return q;
      }
    }
    Queue q = new Queue(timeoutNanos);
    queues.add(q);
    return q;
  }

  private void checkAt(long atNanos) {
    if (check != null) {
      check.cancel(false);
    }
    checkAtNanos = atNanos;
    check = loop.schedule(this::expire, Math.max(0, atNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
  }

  /** Times out every probe whose deadline passed, then sets the check for the next deadline. */
  private void expire() {
    check = null;
    long now = System.nanoTime();
    long next = Long.MAX_VALUE;
    for (Queue q : queues) {
      while (q.head != null && q.head.deadlineNanos - now <= 0) {
        q.head.timedOut(); // ends the probe, which takes it out of the queue
      }
      if (q.head != null) {
        next = Math.min(next, q.head.deadlineNanos);
      }
    }
    queues.removeIf(q -> q.head == null); // made again when a probe of that timeout goes out
    if (next != Long.MAX_VALUE) {
      checkAt(next);
    }
  }
}
