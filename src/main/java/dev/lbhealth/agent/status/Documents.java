package dev.lbhealth.agent.status;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Supplier;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The documents the status listener serves, rendered plain and gzipped on a worker, never on the
 * listener's event loop: /status once per snapshot, /metrics at most once a period.
 */
final class Documents {
  private static final Logger LOG = LoggerFactory.getLogger(StatusServer.class);

  private Documents() {}

  static void send(RoutingContext ctx, String contentType, Buffer body) {
    ctx.response()
        .putHeader("Content-Type", contentType)
        .putHeader("Cache-Control", "no-store")
        .end(body);
  }

  /** Sends a document gzipped when the client takes gzip (Prometheus does), compressed once per rendering. */
  static void send(RoutingContext ctx, String contentType, Document document) {
    String accept = ctx.request().getHeader("Accept-Encoding");
    if (accept != null && accept.contains("gzip")) {
      ctx.response().putHeader("Content-Encoding", "gzip").putHeader("Vary", "Accept-Encoding");
      send(ctx, contentType, document.gzipped());
    } else {
      send(ctx, contentType, document.plain());
    }
  }

  /** A rendered document, plain and gzipped. Immutable. */
  static final class Document {
    final Buffer plain;
    final Buffer gzipped;

    Document(Buffer plain) {
      this.plain = plain;
      ByteArrayOutputStream out = new ByteArrayOutputStream(plain.length() / 8 + 64);
      try (GZIPOutputStream gzip = new GZIPOutputStream(out) {
        {
          def.setLevel(Deflater.BEST_SPEED); // a tenth of the default's CPU, for a little more size
        }
      }) {
        gzip.write(plain.getBytes());
      } catch (IOException e) {
        throw new UncheckedIOException(e); // cannot happen in memory
      }
      this.gzipped = Buffer.buffer(out.toByteArray());
    }

    Buffer plain() {
      return plain;
    }

    Buffer gzipped() {
      return gzipped;
    }
  }

  /** /status joined and gzipped on a worker once per snapshot: never stale, never encoded twice. Used on the listener's context only. */
  static final class SnapshotRendering {
    private final Vertx vertx;
    private StatusDocument renderedFrom;
    private Document document;
    private StatusDocument renderingFrom;
    private Future<Document> rendering;

    SnapshotRendering(Vertx vertx) {
      this.vertx = vertx;
    }

    Future<Document> of(StatusDocument snapshot) {
      if (document != null && renderedFrom == snapshot) {
        return Future.succeededFuture(document);
      }
      if (rendering != null && renderingFrom == snapshot) {
        return rendering;
      }
      Future<Document> next = vertx.executeBlocking(() -> new Document(snapshot.whole()), false);
      rendering = next;
      renderingFrom = snapshot;
      next.onComplete(ar -> {
        if (rendering == next) {
          rendering = null;
        }
        if (ar.succeeded()) {
          document = ar.result();
          renderedFrom = snapshot;
        } else {
          LOG.warn("rendering /status failed", ar.cause());
        }
      });
      return next;
    }
  }

  /**
   * A document rendered (and gzipped) on a worker at most once a period, so that
   * neither a 300 KB scrape nor its compression ever runs on the listener's event loop. Used on
   * the listener's context only.
   */
  static final class Rendered {
    private final Vertx vertx;
    private final Supplier<Buffer> render;
    private final long everyNanos;
    private Document document;
    private long renderedAt;
    private Future<Document> rendering;

    Rendered(Vertx vertx, Supplier<Buffer> render, long everyMillis) {
      this.vertx = vertx;
      this.render = render;
      this.everyNanos = everyMillis * 1_000_000;
    }

    Future<Document> get() {
      long age = document == null ? Long.MAX_VALUE : System.nanoTime() - renderedAt;
      if (age < everyNanos) {
        return Future.succeededFuture(document);
      }
      Future<Document> next = rendering;
      if (next == null) {
        next = vertx.executeBlocking(() -> new Document(render.get()), false);
        // Set before the handler is attached: a render that is already done runs it at once.
        rendering = next;
        next.onComplete(ar -> {
          rendering = null;
          if (ar.succeeded()) {
            document = ar.result();
            renderedAt = System.nanoTime();
          } else {
            LOG.warn("rendering a status document failed", ar.cause());
          }
        });
      }
      // Under load, the last one (at most four periods old) serves while the next renders; after
      // a quiet spell the caller waits for a fresh one rather than get old news.
      return age < 4 * everyNanos ? Future.succeededFuture(document) : next;
    }
  }}
