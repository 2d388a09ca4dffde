package dev.lbhealth.agent.probe;

import dev.lbhealth.agent.discovery.Target;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;

/** GETs a path on a fresh connection and expects one status code. */
final class HttpProbe implements Probe {
  private final Vertx vertx;
  private final HttpClient client;
  private final String path;
  private final int status;

  HttpProbe(Vertx vertx, String path, int status) {
    this.vertx = vertx;
    this.path = path;
    this.status = status;
    // No keep-alive: every probe must prove that a new connection to the node works.
    // TCP_QUICKACK on, as for banner probes (TcpProbe): the request carries the handshake's last
    // ACK anyway, but a probe must not depend on how soon it writes.
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false).setTcpQuickAck(true));
  }

  @Override
  public Future<ProbeResult> check(Target target, Duration timeout) {
    Attempt attempt = new Attempt(vertx, timeout);
    RequestOptions request = new RequestOptions()
        .setMethod(HttpMethod.GET)
        .setHost(target.address())
        .setPort(target.port())
        .setURI(path)
        .setConnectTimeout(attempt.timeoutMs)
        .setIdleTimeout(attempt.timeoutMs)
        .putHeader("User-Agent", "lb-health-agent");
    client.request(request)
        .compose(req -> req.send())
        .onComplete(ar -> {
          if (ar.failed()) {
            attempt.down(TcpProbe.describe(ar.cause()));
            return;
          }
          int got = ar.result().statusCode();
          ar.result().end(); // drain the body; the connection closes after it
          if (got == status) {
            attempt.up();
          } else {
            attempt.down("HTTP " + got + ", expected " + status);
          }
        });
    return attempt.future();
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}
