package dev.lbhealth.agent.demo;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;

/**
 * A pod's host port on one node, as the seed's rsync/SSH pod shows it: greets every connection
 * with an SSH banner. It notes when a client first sent data (a proxied connection, not a probe,
 * which only reads the banner), for the benchmark.
 */
public final class PretendPod {
  public static final String BANNER = "SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.1";

  private final Vertx vertx;
  private final String node;
  private final String address;
  private final int port;
  private final String banner;
  private NetServer server;
  private volatile long listeningSinceNanos;
  private volatile long firstClientDataNanos;
  private volatile boolean silent;

  public PretendPod(Vertx vertx, String node, String address, int port) {
    this(vertx, node, address, port, BANNER);
  }

  public PretendPod(Vertx vertx, String node, String address, int port, String banner) {
    this.vertx = vertx;
    this.node = node;
    this.address = address;
    this.port = port;
    this.banner = banner;
  }

  public String node() {
    return node;
  }

  public Future<Void> start() {
    firstClientDataNanos = 0;
    silent = false;
    server = vertx.createNetServer(new NetServerOptions().setHost(address).setPort(port).setReuseAddress(true));
    server.connectHandler(socket -> {
      socket.exceptionHandler(e -> socket.close()); // a client that resets is fine
      if (silent) {
        return; // accepted, and never a word: a pod whose process is gone but whose port is not
      }
      socket.write(banner + "\r\n");
      socket.handler(data -> {
        if (firstClientDataNanos == 0) {
          firstClientDataNanos = System.nanoTime();
        }
        socket.write(Buffer.buffer(node + "\r\n")); // tells the client which node answered
      });
    });
    return server.listen().onSuccess(s -> listeningSinceNanos = System.nanoTime()).mapEmpty();
  }

  /**
   * From now on accepts connections but serves nothing, as a terminating pod whose process has
   * stopped while its port is still open.
   */
  public void silence() {
    silent = true;
  }

  /** Closes the listener and every open connection, as a pod that is deleted. */
  public Future<Void> stop() {
    NetServer s = server;
    server = null;
    return s == null ? Future.succeededFuture() : s.close();
  }

  public long listeningSinceNanos() {
    return listeningSinceNanos;
  }

  /** When a proxied client first sent data since the last start, or 0. */
  public long firstClientDataNanos() {
    return firstClientDataNanos;
  }
}
