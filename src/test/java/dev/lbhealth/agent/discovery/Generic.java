package dev.lbhealth.agent.discovery;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;

/** Typed objects built in tests (Pods, Nodes), as the agent's informers read them: generic resources. */
final class Generic {
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private Generic() {}

  static GenericKubernetesResource of(HasMetadata o) {
    return o == null ? null : SERIALIZATION.convertValue(o, GenericKubernetesResource.class);
  }

  static List<GenericKubernetesResource> of(List<? extends HasMetadata> objects) {
    return objects.stream().map(Generic::of).toList();
  }
}
