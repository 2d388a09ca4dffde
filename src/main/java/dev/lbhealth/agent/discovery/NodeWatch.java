package dev.lbhealth.agent.discovery;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Store;
import dev.lbhealth.agent.timing.Timers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's one Node informer, shared by every service's {@link KubernetesBackendSource}: one
 * list and one watch of the cluster's nodes however many services there are. When it is started
 * afresh (a new list), every source is told first ({@link Subscriber#relisting}) and reads it as
 * not listed until the new list is in: a relist asked for by one service never shows another an
 * empty node cache, which would take its servers out. Several sources that ask for a fresh start
 * for one cause (the API back after an outage) get one. Runs on the agent's context; the
 * informer's callbacks come on the client's threads.
 */
public final class NodeWatch {
  private static final Logger LOG = LoggerFactory.getLogger(NodeWatch.class);

  /**
   * A source that reads the node cache.
   *
   * @param nodeChanged a node changed (its cache key); on the informer's thread
   * @param changed something may be ready to read (the list is in); any thread
   * @param relisting the informer is being replaced: its cache is not to be read until
   *     {@link #synced}; on the agent's context
   * @param trouble the list or watch failed, and why; any thread
   */
  record Subscriber(Consumer<String> nodeChanged, Runnable changed, Runnable relisting, Consumer<String> trouble) {}

  private final Vertx vertx;
  private final KubernetesClient client;
  private final Timers timers;
  private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
  private SharedIndexInformer<GenericKubernetesResource> informer;
  /** When the running informer was started (the timers' nanos). */
  private long startedAtNanos;
  /** The old informer is being stopped: the new one starts after it. */
  private boolean restarting;
  private boolean stopped;

  public NodeWatch(Vertx vertx, KubernetesClient client, Timers timers) {
    this.vertx = vertx;
    this.client = client;
    this.timers = timers;
  }

  /** Starts telling {@code s}; the informer starts with its first subscriber. */
  void subscribe(Subscriber s) {
    subscribers.add(s);
    if (informer == null && !restarting && !stopped) {
      start();
    }
  }

  void unsubscribe(Subscriber s) {
    subscribers.remove(s);
  }

  /** Whether the running informer has listed (its cache may be read). */
  boolean synced() {
    return informer != null && !restarting && informer.hasSynced();
  }

  boolean watching() {
    return informer != null && !restarting && informer.isWatching();
  }

  /** The cache, to be read only while {@link #synced}. */
  Store<GenericKubernetesResource> store() {
    return informer.getStore();
  }

  /**
   * Starts the informer afresh (a new list, a new watch) if the running one was started at or
   * before {@code nanos} (the timers' nanos): one that started since is fresh already.
   */
  void restartIfStartedBy(long nanos, String why) {
    if (stopped || restarting || informer == null || startedAtNanos > nanos) {
      return;
    }
    LOG.info("Kubernetes node informer started afresh: {}", why);
    SharedIndexInformer<GenericKubernetesResource> old = informer;
    restarting = true;
    subscribers.forEach(s -> s.relisting().run());
    // The old one ends first: never two watches of the nodes at once.
    Informers.stop(vertx, old).onComplete(done -> {
      restarting = false;
      if (!stopped) {
        start();
      }
    });
  }

  private void start() {
    SharedIndexInformer<GenericKubernetesResource> n = client.genericKubernetesResources(ClusterFacts.NODES).runnableInformer(0);
    n.itemStore(FactsStore.nodes());
    Informers.onTrouble(n, "nodes", "", why -> subscribers.forEach(s -> s.trouble().accept(why)));
    Informers.onChange(n, key -> subscribers.forEach(s -> s.nodeChanged().accept(key)), () -> subscribers.forEach(s -> s.changed().run()));
    informer = n;
    startedAtNanos = timers.nowNanos();
    n.start().whenComplete((ok, e) -> subscribers.forEach(s -> s.changed().run()));
  }

  /** Stops the informer for good. */
  public Future<Void> stop() {
    stopped = true;
    return Informers.stop(vertx, informer);
  }
}
