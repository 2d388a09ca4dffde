package dev.lbhealth.agent.discovery;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;

/**
 * The Pod informer's cache, holding of each pod its name, namespace and resource version, and
 * what a view reads ({@link ClusterFacts.PodFacts}): thousands of whole pods would take most of
 * the agent's heap.
 */
final class PodStore extends BasicItemStore<GenericKubernetesResource> {
  PodStore() {
    super(Cache::metaNamespaceKeyFunc);
  }

  @Override
  public GenericKubernetesResource put(String key, GenericKubernetesResource pod) {
    return super.put(key, ClusterFacts.trimmed(pod, ClusterFacts.pod(pod)));
  }
}
