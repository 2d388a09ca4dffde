package dev.lbhealth.agent.probe;

import dev.lbhealth.agent.discovery.Target;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Connects to the target; with a banner, also reads until the banner's length (or a line end)
 * has arrived and checks that it starts with the expected prefix. A port that is open but greets
 * with something else is unhealthy.
 */
final class TcpProbe implements Probe {
  private final Vertx vertx;
  private final NetClient client;
  private final byte[] banner;

  TcpProbe(Vertx vertx, String banner) {
    this.vertx = vertx;
    this.banner = banner == null ? null : banner.getBytes(StandardCharsets.US_ASCII);
    // A banner probe needs TCP_QUICKACK on: Vert.x turns it off on epoll client sockets by default,
    // and then the kernel holds back the handshake's last ACK for up to 200 ms waiting for data to
    // carry it. A server-speaks-first pod (sshd) accepts, and greets, only once that ACK has come:
    // every banner probe took 200 ms, longer than the seed's 60 ms timeout, and every node read as
    // down. A plain connect (a node given by name) keeps it off: half-open, as ConnectProbe's.
    this.client = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true).setTcpQuickAck(banner != null).setReconnectAttempts(0));
  }

  @Override
  public Future<ProbeResult> check(Target target, Duration timeout) {
    Attempt attempt = new Attempt(vertx, timeout);
    ConnectOptions connect = new ConnectOptions().setHost(target.address()).setPort(target.port())
        .setTimeout((int) attempt.timeoutMs);
    client.connect(connect).onComplete(ar -> {
      if (ar.failed()) {
        attempt.down(describe(ar.cause()));
      } else if (banner == null) {
        ar.result().close();
        attempt.up();
      } else {
        readBanner(ar.result(), attempt);
      }
    });
    return attempt.future();
  }

  private void readBanner(NetSocket socket, Attempt attempt) {
    Buffer received = Buffer.buffer();
    attempt.future().onComplete(done -> socket.close());
    socket.closeHandler(v -> attempt.down(
        received.length() == 0 ? "closed without a banner" : "banner " + quote(received) + " does not start with " + quote(Buffer.buffer(banner))));
    socket.handler(chunk -> {
      received.appendBuffer(chunk);
      int n = Math.min(received.length(), banner.length);
      for (int i = 0; i < n; i++) {
        if (received.getByte(i) != banner[i]) {
          attempt.down("banner " + quote(received) + " does not start with " + quote(Buffer.buffer(banner)));
          return;
        }
      }
      if (received.length() >= banner.length) {
        attempt.up();
      }
    });
  }

  static String describe(Throwable cause) {
    String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    if (message.contains("Connection refused")) {
      return "connection refused";
    }
    return message.length() > 200 ? message.substring(0, 200) : message;
  }

  private static String quote(Buffer b) {
    String s = b.getString(0, Math.min(b.length(), 64), "US-ASCII");
    return "'" + s.replaceAll("[^\\x20-\\x7e]", "?") + "'";
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}
