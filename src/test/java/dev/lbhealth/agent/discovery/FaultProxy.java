package dev.lbhealth.agent.discovery;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on loopback in front of the stand-in API server that breaks connections the ways a
 * network does: a close as the server ends a watch, a reset, a refusal, and a silent freeze in
 * which connections stay open and carry nothing (a partition, a NAT that forgot them). Frozen
 * connections never carry a byte again, as after a real partition the far side has forgotten
 * them; connections opened after {@link #thaw} work.
 */
public final class FaultProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final InetSocketAddress target;
  private final List<Link> links = new CopyOnWriteArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();
  private volatile boolean frozen;
  private volatile boolean refusing;
  private volatile boolean closed;

  /** A proxy on a free port of 127.0.0.1 to {@code 127.0.0.1:port}. */
  public FaultProxy(int port) throws IOException {
    target = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::acceptLoop, "fault-proxy-accept");
    accept.setDaemon(true);
    accept.start();
  }

  public String url() {
    return "http://127.0.0.1:" + listener.getLocalPort();
  }

  /** Connections accepted so far (a client that reconnects makes a new one). */
  public int accepted() {
    return accepted.get();
  }

  /** Every open connection closed in order (FIN), as a server that ends its watches. */
  public void closeAll() {
    links.forEach(l -> l.close(false));
  }

  /** Every open connection reset (RST). */
  public void resetAll() {
    links.forEach(l -> l.close(true));
  }

  /** From now on, new connections are reset at once, and every open one is reset: the API unreachable. */
  public void refuse() {
    refusing = true;
    resetAll();
  }

  /**
   * From now on, nothing passes: open connections stay open but carry no byte, ever again, and so
   * do the ones accepted until {@link #thaw}.
   */
  public void freeze() {
    frozen = true;
    links.forEach(l -> l.dead = true);
  }

  /** New connections work again (refused or frozen ones stay as they are). */
  public void thaw() {
    frozen = false;
    refusing = false;
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return;
      }
      accepted.incrementAndGet();
      if (refusing) {
        Link.reset(client);
        continue;
      }
      Link link = new Link(client);
      link.dead = frozen;
      links.add(link);
      Thread open = new Thread(() -> link.open(target), "fault-proxy-link");
      open.setDaemon(true);
      open.start();
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    listener.close();
    links.forEach(l -> l.close(true));
  }

  /** One proxied connection: two pumps; a dead link reads and drops, as a black hole does. */
  private final class Link {
    final Socket client;
    volatile Socket server;
    volatile boolean dead;

    Link(Socket client) {
      this.client = client;
    }

    void open(InetSocketAddress to) {
      try {
        Socket s = new Socket();
        s.connect(to, 5_000);
        server = s;
        pump(client, s, "fault-proxy-up");
        pump(s, client, "fault-proxy-down");
      } catch (IOException e) {
        close(true);
      }
    }

    private void pump(Socket from, Socket to, String name) {
      Thread t = new Thread(() -> {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream()) {
          OutputStream out = to.getOutputStream();
          int n;
          while ((n = in.read(buffer)) >= 0) {
            if (!dead) {
              out.write(buffer, 0, n);
              out.flush();
            }
          }
          if (!dead) {
            to.shutdownOutput();
          }
        } catch (IOException e) {
          if (!dead) {
            close(true);
          }
        }
      }, name);
      t.setDaemon(true);
      t.start();
    }

    void close(boolean reset) {
      links.remove(this);
      if (reset) {
        reset(client);
        if (server != null) {
          reset(server);
        }
      } else {
        quietly(client);
        if (server != null) {
          quietly(server);
        }
      }
    }

    static void reset(Socket s) {
      try {
        s.setSoLinger(true, 0);
      } catch (SocketException e) {
        // closed already
      }
      quietly(s);
    }

    static void quietly(Socket s) {
      try {
        s.close();
      } catch (IOException e) {
        // closed already
      }
    }
  }
}
