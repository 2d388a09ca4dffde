package dev.lbhealth.agent.discovery;

import dev.lbhealth.agent.config.Durations;
import dev.lbhealth.agent.config.KubernetesConfig;
import dev.lbhealth.agent.config.ServiceConfig;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's targets from the Kubernetes API: fabric8 shared informers on Nodes and on the
 * service's Pods (namespace and label selector), started with {@code start()}, never the blocking
 * {@code run()}. Informer callbacks run on the client's threads; they only note that something
 * changed and hop onto the agent's context, where the view is computed from the informers' caches
 * ({@link KubernetesView}), so a burst of events costs one computation.
 *
 * <p>What was last seen stays true until something newer is seen: a watch that ends (fabric8
 * re-opens each one every few minutes), breaks or is refused changes nothing by itself. How fresh
 * the view is, is measured, not assumed: every {@code check-interval} the service's pods are read
 * afresh, with a deadline, and compared with the cache ({@link ApiCheck}). A read that agrees
 * confirms the view. A view unconfirmed for {@code stale-after} (the API silent, refusing or
 * forbidding) is reported stale; for {@code probes-decide-after}, the probes alone decide, except
 * that a node being drained stays drained ({@link KubernetesView#handedToProbes}). The informers
 * are started afresh (a new list) when the API answers but they stay behind it or do not watch
 * (a watch lost silently, a {@code 410 Gone} as the watch's HTTP status), and after every spell in
 * which the API did not answer.
 */
public final class KubernetesBackendSource implements BackendSource {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesBackendSource.class);
  /** How often the view's age is looked at (stale, handed to the probes). */
  private static final long TICK_MS = 250;
  /** Without a first list by then, static nodes of the service go ahead without the API's. */
  private static final long FIRST_LIST_WAIT_MS = 5_000;
  /** Checks in a row that find the informers behind, not watching or delivering nothing, before they are started afresh. */
  private static final int BEHIND_CHECKS = 2;
  /** At most this many checks between two fresh starts while they do not help (a lasting 403). */
  private static final int MAX_RESTART_SPACING = 12;

  private final Vertx vertx;
  private final Context context;
  private final KubernetesClient client;
  private final KubernetesConfig settings;
  private final ServiceConfig service;
  private final AtomicBoolean pending = new AtomicBoolean();
  private SharedIndexInformer<GenericKubernetesResource> nodes;
  private SharedIndexInformer<GenericKubernetesResource> pods;
  private Consumer<Map<Target, Placement>> listener;
  /** The longest wait between two views in a storm of events. */
  private static final long MAX_VIEW_SPACING_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
  /** Not before then is the next view computed (after an expensive one). */
  private long nextViewAtNanos;
  /** What the last view took to compute from the caches. */
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
  /** Whether any informers ever listed. */
  private boolean listedOnce;
  /** When the view was last confirmed by the API (a list, or a read that agreed); MIN_VALUE never. */
  private long confirmedAtMillis = Long.MIN_VALUE;
  /** Why the view is not confirmed now (the last check's or watch's trouble), or null. */
  private volatile String trouble;
  private String loggedTrouble;
  private boolean checking;
  /** Old informers are being stopped before new ones start. */
  private boolean restarting;
  private boolean checkFailedSince;
  private int behindChecks;
  /** The pod informer's last resource version at the last check that found it behind. */
  private String behindAtVersion;
  private int restartSpacing = BEHIND_CHECKS;
  private boolean handedToProbes;
  private long checkTimer = -1;
  private long tickTimer = -1;
  private long firstListTimer = -1;
  private boolean stopped;

  /** Call on the agent's context: the listener is called on it. */
  public KubernetesBackendSource(Vertx vertx, KubernetesClient client, KubernetesConfig settings, ServiceConfig service) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.client = client;
    this.settings = settings;
    this.service = service;
    this.tracker = new ViewTracker(service, settings.allowAddresses());
  }

  @Override
  public String describe() {
    return "kubernetes " + service.kubernetes().namespace() + "/" + service.kubernetes().selector()
        + " (node address " + service.kubernetes().address() + ")";
  }

  @Override
  public void start(Consumer<Map<Target, Placement>> listener) {
    this.listener = listener;
    startInformers();
    checkTimer = vertx.setPeriodic(settings.freshness().checkInterval().toMillis(), id -> check());
    tickTimer = vertx.setPeriodic(TICK_MS, id -> publish(false));
    firstListTimer = vertx.setTimer(FIRST_LIST_WAIT_MS, id -> {
      if (told == null && !stopped) {
        LOG.warn("service {}: no list from the Kubernetes API within {} ms ({}); going on with the static nodes",
            service.name(), FIRST_LIST_WAIT_MS, trouble == null ? "no answer yet" : trouble);
        told = new KubernetesView(Map.of(), List.of());
        listener.accept(Map.of());
      }
    });
  }

  private void startInformers() {
    synced = false;
    tracker.everything(); // the new informers' first view is made from their lists
    SharedIndexInformer<GenericKubernetesResource> n = client.genericKubernetesResources(ClusterFacts.NODES).runnableInformer(0);
    SharedIndexInformer<GenericKubernetesResource> p = client.genericKubernetesResources(ClusterFacts.PODS)
        .inNamespace(service.kubernetes().namespace()).withLabelSelector(service.kubernetes().selector()).runnableInformer(0);
    n.itemStore(new NodeStore());
    p.itemStore(new PodStore());
    nodes = n;
    pods = p;
    watch(n, "nodes", "");
    watch(p, "pods", " in namespace " + service.kubernetes().namespace());
    n.addEventHandler(handler(tracker::nodeChanged));
    p.addEventHandler(handler(tracker::podChanged));
    n.start().thenCombine(p.start(), (a, b) -> null).whenComplete((ok, e) -> changed());
  }

  private void watch(SharedIndexInformer<?> informer, String resource, String where) {
    informer.exceptionHandler((started, t) -> {
      String why = ApiCheck.describe(t, started ? "watch" : "list", resource, where);
      context.runOnContext(v -> troubled(why));
      return true; // keep trying: the API coming back is the normal end of an outage
    });
  }

  /** On an informer's thread: marks the object that changed (by its cache key) for the next view. */
  private ResourceEventHandler<GenericKubernetesResource> handler(Consumer<String> mark) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(GenericKubernetesResource obj) {
        changed(obj);
      }

      @Override
      public void onUpdate(GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
        changed(newObj);
      }

      @Override
      public void onDelete(GenericKubernetesResource obj, boolean deletedFinalStateUnknown) {
        changed(obj);
      }

      private void changed(GenericKubernetesResource obj) {
        mark.accept(Cache.metaNamespaceKeyFunc(obj));
        KubernetesBackendSource.this.changed();
      }
    };
  }

  /** From any thread: recompute once on the agent's context, however many events come first. */
  private void changed() {
    if (pending.compareAndSet(false, true)) {
      context.runOnContext(v -> {
        long wait = nextViewAtNanos - System.nanoTime();
        if (wait <= 0) {
          pending.set(false);
          publish(true);
        } else {
          // A storm of events (a cluster coming up): views no more often than their cost allows.
          vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait)), id -> {
            pending.set(false);
            publish(true);
          });
        }
      });
    }
  }

  /**
   * Reads the service's pods afresh (their metadata only, where the API can) and compares them
   * with the cache, one read at a time; the answer is parsed and compared on a worker, so a list
   * of thousands of pods never holds up the event loop.
   */
  private void check() {
    if (stopped || checking) {
      return;
    }
    checking = true;
    long startedAt = System.currentTimeMillis();
    long deadline = settings.freshness().checkInterval().toMillis();
    String url = client.getMasterUrl().toString().replaceAll("/$", "") + "/api/v1/namespaces/"
        + service.kubernetes().namespace() + "/pods?labelSelector="
        + URLEncoder.encode(service.kubernetes().selector(), StandardCharsets.UTF_8);
    HttpRequest request = client.getHttpClient().newHttpRequestBuilder().uri(url)
        .header("Accept", "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json")
        .timeout(deadline, TimeUnit.MILLISECONDS).build();
    var answer = client.getHttpClient().sendAsync(request, String.class).orTimeout(deadline, TimeUnit.MILLISECONDS);
    answer.whenComplete((response, failure) -> context.runOnContext(v -> checked(startedAt, response, failure)));
  }

  private void checked(long startedAt, HttpResponse<String> response, Throwable failure) {
    String where = " in namespace " + service.kubernetes().namespace();
    if (stopped) {
      checking = false;
    } else if (failure != null || !response.isSuccessful()) {
      checking = false;
      checkFailedSince = true;
      troubled(failure != null ? ApiCheck.describe(failure, "list", "pods", where)
          : ApiCheck.describe(response.code(), statusMessage(response.body()), "list", "pods", where));
    } else {
      SharedIndexInformer<GenericKubernetesResource> cache = pods;
      vertx.executeBlocking(() -> ApiCheck.behind(ApiCheck.listed(response.body()), cache.getStore().list()), false)
          .onComplete(compared -> {
            checking = false;
            if (stopped) {
              return;
            }
            if (compared.failed()) {
              checkFailedSince = true;
              troubled("the API's answer to a list of pods" + where + " is not a list: " + ApiCheck.firstLine(compared.cause()));
            } else {
              compared(startedAt, compared.result());
            }
          });
    }
  }

  /** After a read the API answered: {@code behind} is null if the cache held what it listed. */
  private void compared(long startedAt, String behindTheList) {
    if (restarting) {
      return; // a read from before the informers are replaced says nothing of the new ones
    }
    if (checkFailedSince) {
      // The API did not answer for a while: a watch opened before may be dead without a word.
      checkFailedSince = false;
      restart("the API answers again after it did not");
      return;
    }
    String behind = !synced || restarting ? "not listed yet" : !nodes.isWatching() || !pods.isWatching() ? "not watching" : behindTheList;
    if (behind == null) {
      behindChecks = 0;
      behindAtVersion = null;
      restartSpacing = BEHIND_CHECKS;
      confirmed(startedAt);
      return;
    }
    // A watch that lags (a burst of changes on a busy API) still delivers: only informers that
    // are not watching, or whose watch delivered nothing since the last check, are stuck.
    String version = synced && nodes.isWatching() && pods.isWatching() ? pods.lastSyncResourceVersion() : null;
    boolean delivered = version != null && !version.equals(behindAtVersion);
    behindAtVersion = version;
    if (delivered) {
      behindChecks = 0;
      return;
    }
    if (++behindChecks >= restartSpacing) {
      restartSpacing = Math.min(restartSpacing * 2, MAX_RESTART_SPACING);
      restart("the API answers, but the informers are " + behind);
    }
  }

  /** The message of the Status the API answers a failed request with, or null. */
  private String statusMessage(String body) {
    try {
      return client.getKubernetesSerialization().unmarshal(body, io.fabric8.kubernetes.api.model.Status.class).getMessage();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Replaces the informers with new ones (a new list, new watches); the view stays as it was meanwhile. */
  private void restart(String why) {
    LOG.info("service {}: Kubernetes informers started afresh: {}", service.name(), why);
    behindChecks = 0;
    SharedIndexInformer<GenericKubernetesResource> oldNodes = nodes;
    SharedIndexInformer<GenericKubernetesResource> oldPods = pods;
    synced = false; // the view stays as it was until the new informers have listed
    restarting = true;
    // The old ones end first: never two watches of one resource at once.
    vertx.executeBlocking(() -> {
      oldNodes.stop();
      oldPods.stop();
      return null;
    }, false).onComplete(done -> {
      restarting = false;
      if (!stopped) {
        startInformers();
      }
    });
  }

  private void confirmed(long atMillis) {
    confirmedAtMillis = Math.max(confirmedAtMillis, atMillis);
    if (trouble != null) {
      LOG.info("service {}: Kubernetes view confirmed by the API again", service.name());
    }
    trouble = null;
    loggedTrouble = null;
    publish(false);
  }

  /** What keeps the view from being confirmed, logged once per new reason, one line. */
  private void troubled(String why) {
    trouble = why;
    if (!why.equals(loggedTrouble) && !stopped) {
      loggedTrouble = why;
      LOG.warn("service {}: Kubernetes API: {}; view as of {}", service.name(), why, confirmedAt());
    }
  }

  /** On the agent's context: the current view, told when it differs from the last one told. */
  private void publish(boolean changed) {
    if (stopped) {
      return;
    }
    if (!synced && !restarting && nodes.hasSynced() && pods.hasSynced()) {
      synced = true;
      listedOnce = true;
      changed = true;
      LOG.info("service {}: Kubernetes API listed", service.name());
      confirmed(System.currentTimeMillis());
    }
    if (!synced) {
      return; // new informers still listing: the view stays as it was
    }
    if (changed || seen == null) {
      long start = System.nanoTime();
      var nodeCache = nodes.getStore();
      var podCache = pods.getStore();
      seen = tracker.view(key -> facts(nodeCache.getByKey(key), ClusterFacts::node), key -> facts(podCache.getByKey(key), ClusterFacts::pod),
          () -> nodeCache.list().stream().map(ClusterFacts::node).toList(), () -> podCache.list().stream().map(ClusterFacts::pod).toList());
      viewCostNanos = System.nanoTime() - start;
    }
    boolean probes = ageMillis() > settings.freshness().probesDecideAfter().toMillis();
    if (probes != handedToProbes) {
      handedToProbes = probes;
      if (probes) {
        LOG.warn("service {}: Kubernetes view not confirmed for {}: probes alone decide now (a node being drained stays drained)",
            service.name(), Durations.format(settings.freshness().probesDecideAfter()));
      }
    }
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
    long start = System.nanoTime();
    listener.accept(view.targets());
    // What a view costs (here and in the service it goes to: a pass over every target) bounds
    // how often the next may come: at most a fifth of the loop's time goes to views in a storm;
    // a lone change (a pod terminating) is taken at once.
    long end = System.nanoTime();
    nextViewAtNanos = end + Math.min(MAX_VIEW_SPACING_NANOS, 4 * (end - start + viewCostNanos));
  }

  private static <T> T facts(GenericKubernetesResource cached, java.util.function.Function<GenericKubernetesResource, T> facts) {
    return cached == null ? null : facts.apply(cached);
  }

  private String confirmedAt() {
    return confirmedAtMillis == Long.MIN_VALUE ? "never confirmed" : Instant.ofEpochMilli(confirmedAtMillis).toString();
  }

  @Override
  public long viewAgeMillis() {
    return confirmedAtMillis == Long.MIN_VALUE ? -1 : ageMillis();
  }

  private long ageMillis() {
    return confirmedAtMillis == Long.MIN_VALUE ? Long.MAX_VALUE : Math.max(0, System.currentTimeMillis() - confirmedAtMillis);
  }

  @Override
  public boolean listed() {
    return listedOnce;
  }

  @Override
  public String problem() {
    String refused = told == null || told.refused().isEmpty() ? "" : "; " + ApiCheck.bounded(told.refused());
    if (!listedOnce) {
      return "Kubernetes API not listed yet" + (trouble == null ? "" : ": " + trouble)
          + "; the LB keeps the servers it has" + refused;
    }
    long age = ageMillis();
    boolean stale = age > settings.freshness().staleAfter().toMillis();
    if (!stale && trouble == null) {
      return refused.isEmpty() ? null : refused.substring(2);
    }
    return (stale ? "Kubernetes view not confirmed for " + age / 1000 + " s (" + (trouble == null ? "no answer" : trouble) + ")"
            : "Kubernetes API: " + trouble + "; view confirmed " + age / 1000 + " s ago")
        + "; " + (handedToProbes ? "probes alone decide (a node being drained stays drained)"
            : "what was last seen stands until it is " + Durations.format(settings.freshness().probesDecideAfter())
                + " old, then probes alone decide")
        + refused;
  }

  /** Whether the view is confirmed within stale-after (the metric). */
  public boolean connected() {
    return listedOnce && ageMillis() <= settings.freshness().staleAfter().toMillis();
  }

  @Override
  public Future<Void> stop() {
    stopped = true;
    vertx.cancelTimer(checkTimer);
    vertx.cancelTimer(tickTimer);
    vertx.cancelTimer(firstListTimer);
    SharedIndexInformer<GenericKubernetesResource> n = nodes;
    SharedIndexInformer<GenericKubernetesResource> p = pods;
    return vertx.executeBlocking(() -> {
      if (n != null) {
        n.stop();
      }
      if (p != null) {
        p.stop();
      }
      return null;
    }, false);
  }
}
