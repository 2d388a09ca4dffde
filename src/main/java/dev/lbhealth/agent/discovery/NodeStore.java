package dev.lbhealth.agent.discovery;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.api.model.ObjectMeta;
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

  /** Plain model objects, no builders (see {@link PodStore#trim}). */
  static Node trim(Node node) {
    ObjectMeta meta = new ObjectMeta();
    meta.setName(node.getMetadata().getName());
    meta.setNamespace(node.getMetadata().getNamespace());
    meta.setResourceVersion(node.getMetadata().getResourceVersion());
    Node trimmed = new Node();
    trimmed.setMetadata(meta);
    if (node.getStatus() != null) {
      NodeStatus status = new NodeStatus();
      status.setAddresses(node.getStatus().getAddresses());
      status.setConditions(node.getStatus().getConditions() == null ? List.of()
          : node.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType()))
              .map(c -> {
                NodeCondition ready = new NodeCondition();
                ready.setType(c.getType());
                ready.setStatus(c.getStatus());
                return ready;
              })
              .toList());
      trimmed.setStatus(status);
    }
    return trimmed;
  }
}
