package dev.lbhealth.agent.discovery;

import dev.lbhealth.agent.config.ServiceConfig;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's targets from the Kubernetes API: fabric8 shared informers on Nodes and on the
 * service's Pods (namespace and label selector), started with {@code start()}, never the blocking
 * {@code run()}. Informer callbacks run on the client's threads; they only note that something
 * changed and hop onto the agent's context, where the view is computed from the informers' caches
 * ({@link KubernetesView}), so a burst of events costs one computation. The informers re-list on
 * their own after a {@code 410 Gone}. While either informer is not watching (the API out of
 * reach, forbidden), the last view is kept with every placement {@link Placement#UNKNOWN}, so
 * probes alone decide and nothing is emptied; on return the view is current again.
 */
public final class KubernetesBackendSource implements BackendSource {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesBackendSource.class);
  private static final long CONNECTION_CHECK_MS = 500;
  /** Without a first list by then, static nodes of the service go ahead without the API's. */
  private static final long FIRST_LIST_WAIT_MS = 5_000;

  private final Vertx vertx;
  private final Context context;
  private final KubernetesClient client;
  private final ServiceConfig service;
  private final AtomicBoolean pending = new AtomicBoolean();
  private SharedIndexInformer<Node> nodes;
  private SharedIndexInformer<Pod> pods;
  private Consumer<Map<Target, Placement>> listener;
  private KubernetesView last;
  private boolean watching;
  private boolean synced;
  private Instant lostAt;
  private volatile String lastError;
  private long connectionTimer = -1;
  private long firstListTimer = -1;
  private boolean stopped;

  /** Call on the agent's context: the listener is called on it. */
  public KubernetesBackendSource(Vertx vertx, KubernetesClient client, ServiceConfig service) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.client = client;
    this.service = service;
  }

  @Override
  public String describe() {
    return "kubernetes " + service.kubernetes().namespace() + "/" + service.kubernetes().selector()
        + " (node address " + service.kubernetes().address() + ")";
  }

  @Override
  public void start(Consumer<Map<Target, Placement>> listener) {
    this.listener = listener;
    ResourceEventHandler<Object> changed = new ResourceEventHandler<>() {
      @Override
      public void onAdd(Object obj) {
        changed();
      }

      @Override
      public void onUpdate(Object oldObj, Object newObj) {
        changed();
      }

      @Override
      public void onDelete(Object obj, boolean deletedFinalStateUnknown) {
        changed();
      }
    };
    nodes = client.nodes().runnableInformer(0);
    pods = client.pods().inNamespace(service.kubernetes().namespace())
        .withLabelSelector(service.kubernetes().selector()).runnableInformer(0);
    for (SharedIndexInformer<?> informer : List.of(nodes, pods)) {
      informer.addEventHandler(changed);
      informer.exceptionHandler((started, t) -> {
        lastError = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return true; // keep trying: the API coming back is the normal end of an outage
      });
    }
    nodes.start().thenCombine(pods.start(), (a, b) -> null).whenComplete((ok, e) -> {
      if (e != null) {
        lastError = e.getMessage();
      }
      changed();
    });
    connectionTimer = vertx.setPeriodic(CONNECTION_CHECK_MS, id -> publish());
    firstListTimer = vertx.setTimer(FIRST_LIST_WAIT_MS, id -> {
      if (last == null && !stopped) {
        LOG.warn("service {}: no answer from the Kubernetes API within {} ms ({}); going on with what is known",
            service.name(), FIRST_LIST_WAIT_MS, lastError == null ? "no error yet" : lastError);
        last = new KubernetesView(Map.of(), List.of());
        listener.accept(Map.of());
      }
    });
  }

  /** From any thread: recompute once on the agent's context, however many events come first. */
  private void changed() {
    if (pending.compareAndSet(false, true)) {
      context.runOnContext(v -> {
        pending.set(false);
        publish();
      });
    }
  }

  /** On the agent's context: the current view, told when it differs from the last one told. */
  private void publish() {
    if (stopped) {
      return;
    }
    synced = synced || (nodes.hasSynced() && pods.hasSynced());
    boolean nowWatching = synced && nodes.isWatching() && pods.isWatching();
    if (nowWatching != watching) {
      if (nowWatching) {
        LOG.info("service {}: Kubernetes API {}", service.name(), lostAt == null ? "listed" : "back since " + lostAt + "; resynced");
        lostAt = null;
      } else if (synced) {
        lostAt = Instant.now();
        LOG.warn("service {}: Kubernetes API out of reach ({}); keeping the last known nodes, probes alone decide",
            service.name(), lastError == null ? "watch closed" : lastError);
      }
      watching = nowWatching;
    }
    if (!synced) {
      return;
    }
    KubernetesView view = KubernetesView.of(service, nodes.getStore().list(), pods.getStore().list());
    if (!watching) {
      view = view.unknown();
    }
    if (last != null && last.equals(view)) {
      return;
    }
    if (!view.refused().isEmpty() && (last == null || !view.refused().equals(last.refused()))) {
      LOG.warn("service {}: {}", service.name(), String.join("; ", view.refused()));
    }
    last = view;
    listener.accept(view.targets());
  }

  @Override
  public String problem() {
    if (last == null || (!synced && lastError != null)) {
      return "Kubernetes API not listed yet" + (lastError == null ? "" : ": " + lastError);
    }
    String refused = last.refused().isEmpty() ? "" : String.join("; ", last.refused());
    if (!watching) {
      return "Kubernetes API out of reach since " + lostAt + (lastError == null ? "" : " (" + lastError + ")")
          + "; keeping the last known nodes, probes alone decide" + (refused.isEmpty() ? "" : "; " + refused);
    }
    return refused.isEmpty() ? null : refused;
  }

  /** Whether the view is current (for the metric). */
  public boolean connected() {
    return watching;
  }

  @Override
  public Future<Void> stop() {
    stopped = true;
    vertx.cancelTimer(connectionTimer);
    vertx.cancelTimer(firstListTimer);
    return vertx.executeBlocking(() -> {
      if (nodes != null) {
        nodes.stop();
      }
      if (pods != null) {
        pods.stop();
      }
      return null;
    }, false);
  }
}
