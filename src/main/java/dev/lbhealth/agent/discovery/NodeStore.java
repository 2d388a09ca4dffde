package dev.lbhealth.agent.discovery;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.List;

/**
 * The Node informer's cache, holding of each node only what a view reads: its name, resource
 * version, addresses and Ready condition. A real node carries its images, labels, annotations and
 * capacity (10-20 KB); 5,000 of them whole would take most of the agent's heap.
 */
final class NodeStore extends BasicItemStore<Node> {
  NodeStore() {
    super(Cache::metaNamespaceKeyFunc);
  }

  @Override
  public Node put(String key, Node node) {
    return super.put(key, trim(node));
  }

  static Node trim(Node node) {
    NodeBuilder b = new NodeBuilder().withNewMetadata().withName(node.getMetadata().getName())
        .withNamespace(node.getMetadata().getNamespace())
        .withResourceVersion(node.getMetadata().getResourceVersion()).endMetadata();
    if (node.getStatus() != null) {
      List<NodeCondition> ready = node.getStatus().getConditions() == null ? List.of()
          : node.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType()))
              .map(c -> new NodeConditionBuilder().withType(c.getType()).withStatus(c.getStatus()).build()).toList();
      b.withNewStatus().withAddresses(node.getStatus().getAddresses()).withConditions(ready).endStatus();
    }
    return b.build();
  }
}
