package dev.lbhealth.agent.discovery;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
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

  static Pod trim(Pod pod) {
    PodBuilder b = new PodBuilder().withNewMetadata().withName(pod.getMetadata().getName())
        .withNamespace(pod.getMetadata().getNamespace()).withResourceVersion(pod.getMetadata().getResourceVersion())
        .withDeletionTimestamp(pod.getMetadata().getDeletionTimestamp()).endMetadata();
    if (pod.getSpec() != null) {
      List<Container> containers = pod.getSpec().getContainers() == null ? List.of() : pod.getSpec().getContainers().stream()
          .map(c -> new ContainerBuilder().withName(c.getName()).withPorts(c.getPorts() == null ? List.of() : c.getPorts().stream()
              .filter(p -> p.getHostPort() != null)
              .map(p -> new ContainerPortBuilder().withHostPort(p.getHostPort()).withProtocol(p.getProtocol()).build())
              .toList()).build())
          .toList();
      b.withNewSpec().withNodeName(pod.getSpec().getNodeName()).withContainers(containers).endSpec();
    }
    if (pod.getStatus() != null && pod.getStatus().getConditions() != null) {
      b.withNewStatus().withConditions(pod.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType()))
          .map(c -> new PodConditionBuilder().withType(c.getType()).withStatus(c.getStatus()).build()).toList()).endStatus();
    }
    return b.build();
  }
}
