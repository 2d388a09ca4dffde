package dev.lbhealth.agent.status;

import dev.lbhealth.agent.config.StatusConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.function.Supplier;

/**
 * The status listener: {@code GET /healthz} (200 while every service's last apply succeeded, else
 * 503 with the reasons) and {@code GET /status} (everything the agent knows, as JSON). Handlers
 * run on the agent's context, so they read its state directly.
 */
public final class StatusServer {
  private final Vertx vertx;
  private final StatusConfig config;
  private final Supplier<JsonObject> status;
  private final Supplier<List<String>> problems;
  private HttpServer server;

  public StatusServer(Vertx vertx, StatusConfig config, Supplier<JsonObject> status, Supplier<List<String>> problems) {
    this.vertx = vertx;
    this.config = config;
    this.status = status;
    this.problems = problems;
  }

  public Future<Integer> start() {
    Router router = Router.router(vertx);
    router.get("/healthz").handler(this::healthz);
    router.get("/status").handler(ctx -> json(ctx, 200, status.get()));
    server = vertx.createHttpServer(new HttpServerOptions()
        .setHost(config.host())
        .setPort(config.port())
        .setMaxInitialLineLength(1024)
        .setMaxHeaderSize(8192)
        .setIdleTimeout(30));
    return server.requestHandler(router).listen().map(HttpServer::actualPort);
  }

  public int port() {
    return server.actualPort();
  }

  public Future<Void> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  private void healthz(RoutingContext ctx) {
    List<String> now = problems.get();
    JsonObject body = new JsonObject()
        .put("status", now.isEmpty() ? "ok" : "failing")
        .put("problems", new JsonArray(now));
    json(ctx, now.isEmpty() ? 200 : 503, body);
  }

  private static void json(RoutingContext ctx, int code, JsonObject body) {
    ctx.response()
        .setStatusCode(code)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(body.encodePrettily());
  }
}
