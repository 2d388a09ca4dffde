package dev.lbhealth.agent.probe;

import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollEventArray;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.Native;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sockets of the probes out on one event loop, in an epoll set of their own that is nested in
 * the loop's: the set is one registration of the loop, and a probe's socket is added to it once,
 * already waiting for the connect to finish (EPOLLOUT). That is one epoll_ctl a probe, as HAProxy
 * makes, where a registration of the loop's own takes two (Netty adds a descriptor for errors
 * only, then changes it to wait for writes) and a promise, a wrapper and a map entry. A closed
 * socket leaves the set by itself (the kernel drops it), so ending a probe takes no call either.
 * The set is read when the loop says it is ready: all its ready sockets at once, each handed to
 * its probe by descriptor.
 *
 * <p>Reading a set of one's own needs Netty's event array, whose constructor and accessors are
 * not public; they are looked up once ({@link #open} returns null when this Netty has no such
 * members, and probes then go through Netty channels). Used on the loop only.
 */
final class ProbeSockets implements EpollIoHandle {
  private static final Logger LOG = LoggerFactory.getLogger(ProbeSockets.class);
  /** Ready sockets read at once; more are read in further rounds. */
  private static final int EVENTS = 256;
  private static final EventArray ARRAY = EventArray.lookUp();

  private final FileDescriptor epoll;
  private final EpollEventArray events;
  /** The probe out on each descriptor (descriptors are small numbers, reused at once after a close). */
  private EpollConnect[] byFd = new EpollConnect[1024];
  private volatile IoRegistration registration;
  private boolean closed;

  private ProbeSockets(FileDescriptor epoll, EpollEventArray events) {
    this.epoll = epoll;
    this.events = events;
  }

  /** A set registered with {@code loop}, or null when this Netty's event array cannot be reached. */
  static ProbeSockets open(IoEventLoop loop) {
    if (ARRAY == null || !loop.isCompatible(ProbeSockets.class)) {
      return null;
    }
    FileDescriptor epoll = Native.newEpollCreate();
    ProbeSockets sockets = new ProbeSockets(epoll, ARRAY.create(EVENTS));
    loop.register(sockets).addListener(f -> {
      if (!f.isSuccess()) {
        LOG.error("probe sockets: cannot register with the event loop; probes will time out", f.cause());
        return;
      }
      IoRegistration r = (IoRegistration) f.getNow();
      sockets.registration = r;
      r.submit(EpollIoOps.EPOLLIN);
    });
    return sockets;
  }

  /** Adds a probe's socket, whose connect is in progress; its outcome goes to the probe ({@link EpollConnect#ready}). */
  void add(EpollConnect probe, int fd) throws IOException {
    if (fd >= byFd.length) {
      byFd = java.util.Arrays.copyOf(byFd, Math.max(fd + 1, byFd.length * 2));
    }
    byFd[fd] = probe;
    try {
      Native.epollCtlAdd(epoll.intValue(), fd, Native.EPOLLOUT);
    } catch (IOException e) {
      byFd[fd] = null;
      throw e;
    }
  }

  /** Forgets the probe on {@code fd}, if it was added, before its socket is closed (the kernel then drops it from the set). */
  void remove(int fd) {
    if (fd < byFd.length) {
      byFd[fd] = null;
    }
  }

  @Override
  public FileDescriptor fd() {
    return epoll;
  }

  @Override
  public void handle(IoRegistration registration, IoEvent event) {
    int ready;
    do {
      ready = ARRAY.poll(epoll, events);
      for (int i = 0; i < ready; i++) {
        int fd = ARRAY.fd(events, i);
        EpollConnect probe = fd < byFd.length ? byFd[fd] : null;
        if (probe != null) {
          probe.ready(ARRAY.events(events, i));
        }
      }
    } while (ready == EVENTS);
  }

  /** Leaves the loop and closes the set; probes still out end by their timeout. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    IoRegistration r = registration;
    if (r != null) {
      r.cancel();
    }
    try {
      epoll.close();
    } catch (IOException e) {
      // closing our own descriptor: nothing to do about it
    }
    ARRAY.free(events);
  }

  /** Netty's event array, reached through its non-public members (looked up once). */
  private record EventArray(MethodHandle create, MethodHandle fd, MethodHandle events, MethodHandle free) {
    static EventArray lookUp() {
      try {
        MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(EpollEventArray.class, MethodHandles.lookup());
        return new EventArray(
            lookup.findConstructor(EpollEventArray.class, MethodType.methodType(void.class, int.class)),
            lookup.findVirtual(EpollEventArray.class, "fd", MethodType.methodType(int.class, int.class)),
            lookup.findVirtual(EpollEventArray.class, "events", MethodType.methodType(int.class, int.class)),
            lookup.findVirtual(EpollEventArray.class, "free", MethodType.methodType(void.class)));
      } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
        LOG.info("probes go through Netty channels: this Netty's epoll event array cannot be reached ({})", e.toString());
        return null;
      }
    }

    EpollEventArray create(int length) {
      try {
        return (EpollEventArray) create.invokeExact(length);
      } catch (Throwable e) {
        throw new IllegalStateException("epoll event array", e);
      }
    }

    /** The sockets ready now, without waiting. */
    @SuppressWarnings("deprecation") // the one public way to read a set; a zero timeout never touches the timer
    int poll(FileDescriptor epoll, EpollEventArray array) {
      try {
        return Native.epollWait(epoll, array, epoll, 0, 0);
      } catch (IOException e) {
        LOG.warn("probe sockets: epoll_wait failed: {}", e.toString());
        return 0;
      }
    }

    int fd(EpollEventArray array, int i) {
      try {
        return (int) fd.invokeExact(array, i);
      } catch (Throwable e) {
        throw new IllegalStateException("epoll event array", e);
      }
    }

    int events(EpollEventArray array, int i) {
      try {
        return (int) events.invokeExact(array, i);
      } catch (Throwable e) {
        throw new IllegalStateException("epoll event array", e);
      }
    }

    void free(EpollEventArray array) {
      try {
        free.invokeExact(array);
      } catch (Throwable e) {
        throw new IllegalStateException("epoll event array", e);
      }
    }
  }
}
