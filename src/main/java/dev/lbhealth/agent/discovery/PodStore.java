package dev.lbhealth.agent.discovery;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.List;

/**
 * The Pod informer's cache, holding of each pod only what a view and the freshness check read:
 * its name, namespace, resource version and deletion time, its node, its containers' host ports,
 * and its Ready condition. A real pod carries its managed fields, environment, volumes and
 * status history (5-20 KB); thousands of them whole would take most of the agent's heap.
 */
final class PodStore extends BasicItemStore<Pod> {
  PodStore() {
    super(Cache::metaNamespaceKeyFunc);
  }

  @Override
  public Pod put(String key, Pod pod) {
    return super.put(key, trim(pod));
  }

  /** Plain model objects, no builders: a builder's fluent classes load hundreds of others. */
  static Pod trim(Pod pod) {
    ObjectMeta meta = new ObjectMeta();
    meta.setName(pod.getMetadata().getName());
    meta.setNamespace(pod.getMetadata().getNamespace());
    meta.setResourceVersion(pod.getMetadata().getResourceVersion());
    meta.setDeletionTimestamp(pod.getMetadata().getDeletionTimestamp());
    Pod trimmed = new Pod();
    trimmed.setMetadata(meta);
    if (pod.getSpec() != null) {
      PodSpec spec = new PodSpec();
      spec.setNodeName(pod.getSpec().getNodeName());
      spec.setContainers(pod.getSpec().getContainers() == null ? List.of() : pod.getSpec().getContainers().stream()
          .map(c -> {
            Container container = new Container();
            container.setName(c.getName());
            container.setPorts(c.getPorts() == null ? List.of() : c.getPorts().stream()
                .filter(p -> p.getHostPort() != null)
                .map(p -> {
                  ContainerPort port = new ContainerPort();
                  port.setHostPort(p.getHostPort());
                  port.setProtocol(p.getProtocol());
                  return port;
                })
                .toList());
            return container;
          })
          .toList());
      trimmed.setSpec(spec);
    }
    if (pod.getStatus() != null && pod.getStatus().getConditions() != null) {
      PodStatus status = new PodStatus();
      status.setConditions(pod.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType()))
          .map(c -> {
            PodCondition ready = new PodCondition();
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
