package dev.lbhealth.agent.discovery;

import dev.lbhealth.agent.config.AddressRange;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.discovery.ClusterFacts.NodeFacts;
import dev.lbhealth.agent.discovery.ClusterFacts.PodFacts;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.informers.cache.Store;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * A service's {@link KubernetesView} kept up to date change by change. The informers' events name
 * the pods and nodes that changed ({@link #podChanged}, {@link #nodeChanged}: from any thread);
 * the next {@link #view} works out again only the nodes they touch, reading those objects from
 * the caches. One pod that turns Ready in a cluster of 5,000 nodes costs its node, not a pass over
 * every pod and node (the view's map itself is still copied whole: no sorting, no validation).
 * After {@link #everything} (new informers, a new list) the next view is made from scratch. Not
 * thread-safe apart from the three marking methods.
 */
final class ViewTracker {
  private final ServiceConfig service;
  private final List<AddressRange> allowed;
  private final Set<String> changedPods = ConcurrentHashMap.newKeySet();
  private final Set<String> changedNodes = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean everything = new AtomicBoolean(true);
  /** Each pod that counts (scheduled, with the service's host port), by cache key: where, and what it says. */
  private final Map<String, PodAt> pods = new HashMap<>();
  /** The pods that count on each node, by cache key, with what each says. */
  private final Map<String, Map<String, Placement>> podsOn = new HashMap<>();
  /** What the pods on each node say together (serving wins over terminating, which wins over absent). */
  private final Map<String, Placement> byNode = new HashMap<>();
  /** Every node by name, in name order, as made at its resource version. */
  private final TreeMap<String, NodeEntry> nodes = new TreeMap<>();
  private KubernetesView view = new KubernetesView(Map.of(), List.of());

  private record PodAt(String node, Placement placement) {}

  /** A node at one resource version: its target, or why it was left out; whether it is Ready. */
  record NodeEntry(String version, Target target, String refused, boolean ready) {
    boolean sameAs(NodeEntry other) {
      return other != null && Objects.equals(target, other.target) && Objects.equals(refused, other.refused) && ready == other.ready;
    }
  }

  ViewTracker(ServiceConfig service, List<AddressRange> allowed) {
    this.service = service;
    this.allowed = allowed;
  }

  /** From any thread: the pod under this cache key was added, changed or deleted. */
  void podChanged(String key) {
    changedPods.add(key);
  }

  /** From any thread: the node of this name was added, changed or deleted. */
  void nodeChanged(String name) {
    changedNodes.add(name);
  }

  /** From any thread: the caches were replaced (new informers); the next view is made from scratch. */
  void everything() {
    everything.set(true);
  }

  /** A view of these nodes and pods, made from scratch. */
  KubernetesView of(List<NodeFacts> allNodes, List<PodFacts> allPods) {
    everything.set(false);
    changedPods.clear();
    changedNodes.clear();
    pods.clear();
    podsOn.clear();
    byNode.clear();
    Map<String, NodeEntry> before = new HashMap<>(nodes);
    nodes.clear();
    for (PodFacts pod : allPods) {
      PodAt at = counted(pod);
      if (at != null) {
        String key = pod.key();
        pods.put(key, at);
        podsOn.computeIfAbsent(at.node, n -> new HashMap<>(2)).put(key, at.placement);
        byNode.merge(at.node, at.placement, KubernetesView::stronger);
      }
    }
    for (NodeFacts node : allNodes) {
      String name = node.name();
      nodes.put(name, entry(before.get(name), node));
    }
    KubernetesView built = build();
    if (!built.equals(view)) {
      view = built; // a new list that says what the last view said is the same view
    }
    return view;
  }

  /** The view from the informers' caches (see the method below). */
  KubernetesView view(Store<GenericKubernetesResource> nodes, Store<GenericKubernetesResource> pods) {
    return view(key -> facts(nodes.getByKey(key), ClusterFacts::node), key -> facts(pods.getByKey(key), ClusterFacts::pod),
        () -> nodes.list().stream().map(ClusterFacts::node).toList(), () -> pods.list().stream().map(ClusterFacts::pod).toList());
  }

  private static <T> T facts(GenericKubernetesResource cached, Function<GenericKubernetesResource, T> facts) {
    return cached == null ? null : facts.apply(cached);
  }

  /**
   * The view after what changed since the last call, the objects read from the caches by key:
   * the very same object when nothing it shows changed.
   */
  KubernetesView view(Function<String, NodeFacts> nodeByName, Function<String, PodFacts> podByKey,
      java.util.function.Supplier<List<NodeFacts>> allNodes, java.util.function.Supplier<List<PodFacts>> allPods) {
    if (everything.getAndSet(false)) {
      return of(allNodes.get(), allPods.get());
    }
    Set<String> touched = new HashSet<>();
    boolean changed = false;
    for (Iterator<String> it = changedPods.iterator(); it.hasNext(); ) {
      String key = it.next();
      it.remove(); // before the cache is read: a change after this read is marked again
      PodFacts pod = podByKey.apply(key);
      PodAt at = pod == null ? null : counted(pod);
      PodAt before = at == null ? pods.remove(key) : pods.put(key, at);
      if (!Objects.equals(before, at)) {
        if (before != null) {
          touched.add(before.node);
          Map<String, Placement> on = podsOn.get(before.node);
          on.remove(key);
          if (on.isEmpty()) {
            podsOn.remove(before.node);
          }
        }
        if (at != null) {
          touched.add(at.node);
          podsOn.computeIfAbsent(at.node, n -> new HashMap<>(2)).put(key, at.placement);
        }
      }
    }
    for (String name : touched) {
      Placement placed = null;
      for (Placement p : podsOn.getOrDefault(name, Map.of()).values()) {
        placed = placed == null ? p : KubernetesView.stronger(placed, p);
      }
      Placement before = placed == null ? byNode.remove(name) : byNode.put(name, placed);
      changed |= before != placed;
    }
    for (Iterator<String> it = changedNodes.iterator(); it.hasNext(); ) {
      String name = it.next();
      it.remove();
      NodeFacts node = nodeByName.apply(name);
      NodeEntry before = nodes.get(name);
      if (node == null) {
        changed |= nodes.remove(name) != null;
      } else if (before == null || !Objects.equals(before.version, node.version())) {
        NodeEntry entry = entry(before, node);
        nodes.put(name, entry);
        changed |= !entry.sameAs(before);
      }
    }
    if (changed) {
      view = build();
    }
    return view;
  }

  /** Where the pod is and what it says, or null if it does not count (not scheduled, not this port). */
  private PodAt counted(PodFacts pod) {
    if (pod.node() == null || !pod.tcpHostPorts().contains(service.port())) {
      return null;
    }
    return new PodAt(pod.node(), pod.terminating() ? Placement.TERMINATING : pod.ready() ? Placement.SERVING : Placement.ABSENT);
  }

  /** The node made at its resource version: the one before if the version is the same, its target kept if equal. */
  private NodeEntry entry(NodeEntry before, NodeFacts node) {
    if (before != null && Objects.equals(before.version, node.version())) {
      return before;
    }
    NodeEntry entry = KubernetesView.entry(service, allowed, node);
    return before != null && before.target != null && before.target.equals(entry.target)
        ? new NodeEntry(entry.version, before.target, null, entry.ready) : entry;
  }

  private KubernetesView build() {
    Map<Target, Placement> targets = new LinkedHashMap<>(nodes.size() * 4 / 3 + 1);
    List<String> refused = new ArrayList<>();
    for (Map.Entry<String, NodeEntry> e : nodes.entrySet()) {
      NodeEntry entry = e.getValue();
      if (entry.refused != null) {
        refused.add(entry.refused);
        continue;
      }
      Placement placed = byNode.get(e.getKey());
      // A NotReady node's pods cannot be trusted to serve, whatever they last reported.
      targets.put(entry.target, entry.ready ? (placed == null ? Placement.ABSENT : placed)
          : placed == Placement.TERMINATING ? Placement.TERMINATING : Placement.ABSENT);
    }
    return new KubernetesView(targets, refused);
  }
}
