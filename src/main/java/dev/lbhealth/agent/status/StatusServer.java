package dev.lbhealth.agent.status;

import dev.lbhealth.agent.config.StatusConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import dev.lbhealth.agent.timing.Throttle;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import dev.lbhealth.agent.config.Names;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The status listener: {@code GET /healthz} (200 while every service's last apply succeeded, else
 * 503 with the reasons), {@code GET /status} (everything the agent knows, JSON),
 * {@code GET /metrics} (Prometheus), {@code GET /events} (server-sent events of state changes and
 * applies) and {@code GET /} (a live status page). It runs as a verticle of its own, on another
 * event loop than the probes, and serves the snapshots the agent publishes on every change,
 * asking it for fresh probe times at most every {@value #STATUS_EVERY_MS} ms and only while
 * someone reads /status; /status (once per snapshot) and /metrics (at most every second) are
 * joined and gzipped on a worker and served from there, gzipped to clients
 * that take it, so load on it costs little and never holds an event loop. With a token configured, everything but
 * /healthz needs {@code Authorization: Bearer <token>}.
 */
public final class StatusServer {
  /** Event-bus address the agent publishes state changes and applies to. */
  public static final String EVENTS = "lb-health-agent.events";
  /** How often at most the listener asks the agent for fresh probe times, and the agent publishes changes. */
  public static final long STATUS_EVERY_MS = 500;
  static final int MAX_EVENT_CLIENTS = 64;
  private static final Logger LOG = LoggerFactory.getLogger(StatusServer.class);

  private final Vertx vertx;
  private final StatusConfig config;
  private final StatusSource status;
  private final Documents.SnapshotRendering statusJson;
  /** The agent's answer for fresh probe times while one is asked for; when the next may be asked. */
  private Future<StatusDocument> refreshing;
  /** Fresh probe times at most every STATUS_EVERY_MS, unless something changed. */
  private final Throttle refreshes = new Throttle(System::nanoTime, java.time.Duration.ofMillis(STATUS_EVERY_MS), 1);
  private final Supplier<List<String>> problems;
  private final MeterRegistry registry;
  private final Documents.Rendered metricsText;
  private HttpServer server;
  /** Clients of /events now; counted on the listener's loop, read from the agent's. */
  private volatile int eventClients;
  private boolean jsonWarmed;

  /** Whether anyone follows /events now (what an event carries is built only then). */
  public boolean hasEventClients() {
    return eventClients > 0;
  }

  /**
   * @param status the agent's /status snapshots (their services already encoded, never changed
   *     once published); called from the listener's own context, which joins each once
   * @param problems the latest reasons not to be healthy; called from the listener's own context
   */
  public StatusServer(Vertx vertx, StatusConfig config, StatusSource status, Supplier<List<String>> problems,
      MeterRegistry registry) {
    this.vertx = vertx;
    this.config = config;
    this.status = status;
    this.problems = problems;
    this.registry = registry;
    // Prometheus scrapes every 15 s or so: a second-old scrape is fresh, and costs a quarter.
    this.metricsText = new Documents.Rendered(vertx, this::scrape, 2 * STATUS_EVERY_MS);
    this.statusJson = new Documents.SnapshotRendering(vertx);
  }

  /** The status page and its assets, served to anyone: no data in them. */
  private static final String PAGE = "/|/index\\.html|/app\\.js|/style\\.css";

  public Future<Integer> start() {
    Router router = Router.router(vertx);
    router.get("/healthz").handler(this::healthz);
    // The page and its scripts hold no data (they fetch it): a browser loads them without a
    // token, then the page asks for it and sends it with every data request.
    router.getWithRegex(PAGE).handler(StaticHandler.create("webroot").setCachingEnabled(false));
    if (config.token() != null) {
      router.route().handler(this::authenticate);
    }
    router.get("/status").handler(ctx -> {
      String service = ctx.request().getParam("service");
      snapshot().onSuccess(snapshot -> {
        if (service != null) {
          oneService(ctx, snapshot, service);
        } else {
          statusJson.of(snapshot).onSuccess(doc -> Documents.send(ctx, "application/json", doc)).onFailure(ctx::fail);
        }
      }).onFailure(ctx::fail);
    });
    router.get("/metrics").handler(this::metrics);
    router.get("/events").handler(this::events);
    server = vertx.createHttpServer(new HttpServerOptions()
        .setHost(config.host())
        .setPort(config.port())
        .setMaxInitialLineLength(2048)
        .setMaxHeaderSize(8192)
        .setMaxFormAttributeSize(0)
        .setIdleTimeout(30)
        // No on-the-fly compression: /status and /metrics are gzipped once per rendering.
        .setCompressionSupported(false));
    // A client that resets its connection is no news.
    server.exceptionHandler(e -> LOG.debug("status client: {}", e.toString()));
    return server.requestHandler(router).listen().map(HttpServer::actualPort);
  }

  /** The listener as a verticle, so that it gets an event loop of its own. */
  public VerticleBase verticle() {
    return new VerticleBase() {
      @Override
      public Future<?> start() {
        return StatusServer.this.start();
      }

      @Override
      public Future<?> stop() {
        return StatusServer.this.stop();
      }
    };
  }

  public int port() {
    return server.actualPort();
  }

  public Future<Void> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  private void authenticate(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    byte[] expected = ("Bearer " + config.token().value()).getBytes(StandardCharsets.UTF_8);
    if (header != null && MessageDigest.isEqual(expected, header.getBytes(StandardCharsets.UTF_8))) {
      ctx.next();
    } else {
      ctx.response().setStatusCode(401).putHeader("WWW-Authenticate", "Bearer").end();
    }
  }

  private void healthz(RoutingContext ctx) {
    List<String> now = problems.get();
    JsonObject body = new JsonObject()
        .put("status", now.isEmpty() ? "ok" : "failing")
        .put("problems", new JsonArray(now))
        // Degraded without being unhealthy (the Kubernetes API out of reach): never a 503, so a
        // keepalived pair does not fail over for what both LB boxes see alike.
        .put("warnings", new JsonArray(status.warnings()));
    ctx.response().setStatusCode(now.isEmpty() ? 200 : 503);
    Documents.send(ctx, "application/json", Buffer.buffer(body.encodePrettily()));
  }

  private void metrics(RoutingContext ctx) {
    if (!(registry instanceof PrometheusMeterRegistry)) {
      ctx.response().setStatusCode(404).end();
      return;
    }
    metricsText.get()
        .onSuccess(doc -> Documents.send(ctx, "text/plain; version=0.0.4; charset=utf-8", doc))
        .onFailure(ctx::fail);
  }

  private Buffer scrape() {
    return Buffer.buffer(((PrometheusMeterRegistry) registry).scrape());
  }

  /** Server-sent events: one {@code event:}/{@code data:} pair per state change or apply. */
  private void events(RoutingContext ctx) {
    if (eventClients >= MAX_EVENT_CLIENTS) {
      // Refused, and the connection closed with it: a flood of refused clients holds no sockets.
      ctx.response().setStatusCode(503).putHeader("Connection", "close").putHeader("Retry-After", "5").end()
          .onComplete(sent -> ctx.request().connection().close());
      return;
    }
    if (eventClients++ == 0 && !jsonWarmed) { // only the listener's loop writes it
      // The agent builds events from now on: Jackson's serializers are loaded here, on a worker,
      // not by the agent's loop at the first event.
      jsonWarmed = true;
      vertx.executeBlocking(StatusJson::warmUp, false);
    }
    HttpServerResponse response = ctx.response()
        .setChunked(true)
        .putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-store")
        .setWriteQueueMaxSize(256 * 1024);
    response.write(": lb-health-agent events\n\n");
    MessageConsumer<JsonObject> consumer = vertx.eventBus().localConsumer(EVENTS, message -> {
      if (response.writeQueueFull()) {
        // A client that does not read cannot make the agent buffer without end.
        ctx.request().connection().close();
        return;
      }
      JsonObject event = message.body();
      response.write("event: " + event.getString("type") + "\ndata: " + event.encode() + "\n\n");
    });
    long keepAlive = vertx.setPeriodic(15_000, id -> response.write(": keep-alive\n\n"));
    response.closeHandler(v -> {
      eventClients--;
      consumer.unregister();
      vertx.cancelTimer(keepAlive);
    });
  }

  /**
   * The snapshot to serve: the latest published one, or one the agent makes now when something
   * changed since (a reader who saw the LB change must see it here too), or at most every
   * {@link #STATUS_EVERY_MS} for fresh probe times. Requests that come while the agent makes it
   * share it.
   */
  private Future<StatusDocument> snapshot() {
    if (refreshing != null) {
      return refreshing;
    }
    if (!status.changed() && refreshes.waitMillis() > 0) {
      return Future.succeededFuture(status.latest());
    }
    refreshes.spend();
    Future<StatusDocument> asked = status.refreshed();
    refreshing = asked;
    asked.onComplete(ar -> refreshing = null); // at once, if it is already done
    return asked;
  }

  /** {@code GET /status?service=NAME}: the agent section and that one service (404 if there is none). */
  private void oneService(RoutingContext ctx, StatusDocument snapshot, String name) {
    vertx.executeBlocking(() -> {
      Buffer one = snapshot.service(name);
      return one == null ? null : new Documents.Document(one);
    }, false).onSuccess(doc -> {
      if (doc == null) {
        ctx.response().setStatusCode(404).putHeader("Content-Type", "text/plain").end("no service " + Names.cut(name) + "\n");
      } else {
        Documents.send(ctx, "application/json", doc);
      }
    }).onFailure(ctx::fail);
  }


}
