package dev.lbhealth.agent.discovery;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;

/**
 * The Node informer's cache, holding of each node its name and resource version, and what a view
 * reads ({@link ClusterFacts.NodeFacts}): a real node carries its images, labels, annotations and
 * capacity (10-20 KB).
 */
final class NodeStore extends BasicItemStore<GenericKubernetesResource> {
  NodeStore() {
    super(Cache::metaNamespaceKeyFunc);
  }

  @Override
  public GenericKubernetesResource put(String key, GenericKubernetesResource node) {
    return super.put(key, ClusterFacts.trimmed(node, ClusterFacts.node(node)));
  }
}
