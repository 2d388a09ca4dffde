package dev.lbhealth.agent.discovery;

import dev.lbhealth.agent.config.KubernetesConfig;
import dev.lbhealth.agent.config.ServiceConfig;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import dev.lbhealth.agent.timing.Timers;
import dev.lbhealth.agent.timing.VertxTimers;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's targets from the Kubernetes API: fabric8 informers on Nodes and on the service's Pods (namespace and label selector), started with {@code start()}, never the blocking
 * {@code run()}. Informer callbacks run on the client's threads; they only note that something
 * changed and hop onto the agent's context, where the view is computed from the informers' caches
 * ({@link KubernetesView}), so a burst of events costs one computation.
 *
 * <p>What was last seen stays true until something newer is seen: a watch that ends (fabric8
 * re-opens each one every few minutes), breaks or is refused changes nothing by itself. How fresh
 * the view is, is measured, not assumed: every {@code check-interval} the service's pods are read
 * afresh, with a deadline, and compared with the cache ({@link PodRead}). A read that agrees
 * confirms the view. A view unconfirmed for {@code stale-after} (the API silent, refusing or
 * forbidding) is reported stale; for {@code probes-decide-after}, the probes alone decide, except
 * that a node being drained stays drained ({@link KubernetesView#handedToProbes}). The informers
 * are started afresh (a new list) when the API answers but they stay behind it or do not watch
 * (a watch lost silently, a {@code 410 Gone} as the watch's HTTP status), and after every spell in
 * which the API did not answer ({@link Restarts}). The Node informer is the agent's one
 * ({@link NodeWatch}), shared with the other services.
 */
public final class KubernetesBackendSource implements BackendSource {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesBackendSource.class);
  /** How often the view's age is looked at (stale, handed to the probes). */
  private static final long TICK_MS = 250;
  /** Without a first list by then, static nodes of the service go ahead without the API's. */
  private static final long FIRST_LIST_WAIT_MS = 5_000;

  private final Vertx vertx;
  private final Context context;
  private final KubernetesClient client;
  private final KubernetesConfig settings;
  private final ServiceConfig service;
  private final Timers timers;
  /** The agent's one Node informer, shared with the other services' sources. */
  private final NodeWatch nodes;
  /** Whether the node informer is this source's own (no shared one given): it stops with the source. */
  private final boolean ownNodes;
  /** How this source hears of the nodes. */
  private final NodeWatch.Subscriber nodeEvents;
  private SharedIndexInformer<GenericKubernetesResource> pods;
  private Consumer<Map<Target, Placement>> listener;
  private final ViewPacing pacing;
  /** What the last view took to work out from the caches. */
  private long viewCostNanos;
  /** The view, worked out again for what the informers' events name. */
  private final ViewTracker tracker;
  /** The view from the caches, as last computed. */
  private KubernetesView seen;
  /** The last view as the probes get it once it is too old, and the view it was made of. */
  private KubernetesView handed;
  private KubernetesView handedFrom;
  /** The view last told (null before the first). */
  private KubernetesView told;
  /** Whether the current informers have listed. */
  private boolean synced;
  /** When the API last confirmed the view, and what keeps it from being confirmed now. */
  private final ViewFreshness freshness;
  private final PodRead podRead;
  private boolean checking;
  /** Old informers are being stopped before new ones start. */
  private boolean restarting;
  private final Restarts restarts = new Restarts();
  private long checkTimer = -1;
  private long tickTimer = -1;
  private long firstListTimer = -1;
  private boolean stopped;

  /** With a Node informer of its own, on the system clock. Call on the agent's context: the listener is called on it. */
  public KubernetesBackendSource(Vertx vertx, KubernetesClient client, KubernetesConfig settings, ServiceConfig service) {
    this(vertx, client, settings, service, null, new VertxTimers(vertx));
  }

  /**
   * Reading the nodes from {@code nodes}, the agent's shared Node informer (null: one of its own),
   * and time from {@code timers}. Call on the agent's context: the listener is called on it.
   */
  public KubernetesBackendSource(Vertx vertx, KubernetesClient client, KubernetesConfig settings, ServiceConfig service,
      NodeWatch nodes, Timers timers) {
    this.vertx = vertx;
    this.timers = timers;
    this.ownNodes = nodes == null;
    this.nodes = nodes != null ? nodes : new NodeWatch(vertx, client, timers);
    this.context = vertx.getOrCreateContext();
    this.client = client;
    this.settings = settings;
    this.service = service;
    this.tracker = new ViewTracker(service, settings.allowAddresses());
    this.pacing = new ViewPacing(vertx, context, timers, () -> publish(true));
    this.nodeEvents = new NodeWatch.Subscriber(tracker::nodeChanged, this::changed, this::relisting, this::troubledFromAnyThread);
    this.freshness = new ViewFreshness(service.name(), settings.freshness(), timers);
    this.podRead = new PodRead(vertx, client, service.kubernetes().namespace(), service.kubernetes().selector(),
        settings.freshness().checkInterval());
  }

  @Override
  public String describe() {
    return "kubernetes " + service.kubernetes().namespace() + "/" + service.kubernetes().selector()
        + " (node address " + service.kubernetes().address() + ")";
  }

  @Override
  public void start(Consumer<Map<Target, Placement>> listener) {
    this.listener = listener;
    nodes.subscribe(nodeEvents);
    startInformers();
    checkTimer = vertx.setPeriodic(settings.freshness().checkInterval().toMillis(), id -> check());
    tickTimer = vertx.setPeriodic(TICK_MS, id -> publish(false));
    firstListTimer = vertx.setTimer(FIRST_LIST_WAIT_MS, id -> {
      if (told == null && !stopped) {
        LOG.warn("service {}: no list from the Kubernetes API within {} ms ({}); going on with the static nodes",
            service.name(), FIRST_LIST_WAIT_MS, freshness.trouble() == null ? "no answer yet" : freshness.trouble());
        told = new KubernetesView(Map.of(), List.of());
        listener.accept(Map.of());
      }
    });
  }

  /** The service's Pod informer (the Node informer is shared: see {@link NodeWatch}). */
  private void startInformers() {
    synced = false;
    tracker.everything(); // the new informer's first view is made from its list
    SharedIndexInformer<GenericKubernetesResource> p = client.genericKubernetesResources(ClusterFacts.PODS)
        .inNamespace(service.kubernetes().namespace()).withLabelSelector(service.kubernetes().selector()).runnableInformer(0);
    p.itemStore(FactsStore.pods());
    pods = p;
    Informers.onTrouble(p, "pods", " in namespace " + service.kubernetes().namespace(), this::troubledFromAnyThread);
    Informers.onChange(p, tracker::podChanged, this::changed);
    p.start().whenComplete((ok, e) -> changed());
  }

  /** From any thread: the view is worked out again soon ({@link ViewPacing}). */
  private void changed() {
    pacing.changed();
  }

  /** Every check-interval: the service's pods read afresh and compared with the cache ({@link PodRead}), one read at a time. */
  private void check() {
    if (stopped || checking) {
      return;
    }
    checking = true;
    long startedAt = timers.epochMillis();
    long startedNanos = timers.nowNanos();
    podRead.behind(context, pods.getStore()).onComplete(read -> {
      checking = false;
      if (stopped) {
        return;
      }
      if (read.failed()) {
        restarts.failed(startedNanos);
        troubled(read.cause().getMessage());
      } else {
        compared(startedAt, startedNanos, read.result());
      }
    });
  }

  /** After a read the API answered: {@code behind} is null if the cache held what it listed. */
  private void compared(long startedAt, long startedNanos, String behind) {
    if (restarting) {
      return; // a read from before the informers are replaced says nothing of the new ones
    }
    Restarts.Verdict verdict = restarts.answered(startedNanos, new Restarts.Seen(synced, nodes.watching(), pods.isWatching(),
        pods.lastSyncResourceVersion()), behind, nodes.synced());
    switch (verdict.kind()) {
      case CONFIRMED -> confirmed(startedAt);
      case RESTART -> restart(verdict.why(), verdict.nodesStartedBy());
      case WAIT -> { }
    }
  }

  /**
   * Replaces the Pod informer with a new one (a new list, a new watch), and the shared Node
   * informer too if it was started at or before {@code nodesStartedBy} (the timers' nanos;
   * Long.MIN_VALUE: the nodes are fine). The view stays as it was meanwhile.
   */
  private void restart(String why, long nodesStartedBy) {
    LOG.info("service {}: Kubernetes informers started afresh: {}", service.name(), why);
    nodes.restartIfStartedBy(nodesStartedBy, why);
    synced = false; // the view stays as it was until the new informers have listed
    restarting = true;
    // The old one ends first: never two watches of one resource at once.
    Informers.stop(vertx, pods).onComplete(done -> {
      restarting = false;
      if (!stopped) {
        startInformers();
      }
    });
  }

  private void confirmed(long atMillis) {
    freshness.confirmed(atMillis);
    publish(false);
  }

  private void troubled(String why) {
    if (!stopped) {
      freshness.troubled(why);
    }
  }

  private void troubledFromAnyThread(String why) {
    context.runOnContext(v -> troubled(why));
  }

  /** The shared nodes are listed afresh: the view stays as it was until the new list is in. */
  private void relisting() {
    synced = false;
    tracker.everything();
  }

  /** On the agent's context: the current view, told when it differs from the last one told. */
  private void publish(boolean changed) {
    if (stopped) {
      return;
    }
    if (!synced && !restarting && nodes.synced() && pods.hasSynced()) {
      synced = true;
      changed = true;
      freshness.listed();
    }
    if (!synced) {
      return; // new informers still listing: the view stays as it was
    }
    if (changed || seen == null) {
      long start = timers.nowNanos();
      seen = tracker.view(nodes.store(), pods.getStore());
      viewCostNanos = timers.nowNanos() - start;
    }
    boolean handedToProbes = freshness.handedToProbes();
    if (handedToProbes && handedFrom != seen) {
      handedFrom = seen;
      handed = seen.handedToProbes();
    }
    // The tracker hands out the same view while nothing in it changed.
    KubernetesView view = handedToProbes ? handed : seen;
    if (told == view) {
      return;
    }
    if (!view.refused().isEmpty() && (told == null || !view.refused().equals(told.refused()))) {
      LOG.warn("service {}: {}", service.name(), ApiCheck.bounded(view.refused()));
    }
    told = view;
    long start = timers.nowNanos();
    listener.accept(view.targets());
    pacing.told(timers.nowNanos() - start + viewCostNanos);
  }

  @Override
  public long viewAgeMillis() {
    return freshness.viewAgeMillis();
  }

  @Override
  public boolean listed() {
    return freshness.listedOnce();
  }

  @Override
  public String problem() {
    return freshness.problem(told == null || told.refused().isEmpty() ? "" : "; " + ApiCheck.bounded(told.refused()));
  }

  /** Whether the view is confirmed within stale-after (the metric). */
  public boolean connected() {
    return freshness.connected();
  }

  @Override
  public Future<Void> stop() {
    stopped = true;
    vertx.cancelTimer(checkTimer);
    vertx.cancelTimer(tickTimer);
    vertx.cancelTimer(firstListTimer);
    nodes.unsubscribe(nodeEvents);
    Future<Void> podsStopped = Informers.stop(vertx, pods);
    return ownNodes ? Future.join(podsStopped, nodes.stop()).mapEmpty() : podsStopped;
  }
}
