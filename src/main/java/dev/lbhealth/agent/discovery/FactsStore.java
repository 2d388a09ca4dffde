package dev.lbhealth.agent.discovery;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.function.Function;

/**
 * An informer's cache that holds of each object its name, namespace and resource version, and
 * the facts a view reads ({@link ClusterFacts}): a real node carries its images, labels,
 * annotations and capacity (10-20 KB), and thousands of whole pods would take most of the heap.
 */
final class FactsStore extends BasicItemStore<GenericKubernetesResource> {
  private final Function<GenericKubernetesResource, ?> facts;

  private FactsStore(Function<GenericKubernetesResource, ?> facts) {
    super(Cache::metaNamespaceKeyFunc);
    this.facts = facts;
  }

  static FactsStore nodes() {
    return new FactsStore(ClusterFacts::node);
  }

  static FactsStore pods() {
    return new FactsStore(ClusterFacts::pod);
  }

  @Override
  public GenericKubernetesResource put(String key, GenericKubernetesResource object) {
    return super.put(key, ClusterFacts.trimmed(object, facts.apply(object)));
  }
}
