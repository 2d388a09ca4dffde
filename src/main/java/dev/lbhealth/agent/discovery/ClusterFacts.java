package dev.lbhealth.agent.discovery;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the agent reads of the API's Pods and Nodes, and nothing else. The informers read the
 * objects as generic resources (maps), not as fabric8's model: a Pod's model is some 800 classes
 * and their JSON readers (about 4 MB of the agent's memory for a few fields), and a cached model
 * object with its empty lists and maps weighs ten times the facts taken from it.
 */
final class ClusterFacts {
  private ClusterFacts() {}

  /** The API's Pods, read as generic resources (named here: no discovery request, which RBAC may refuse). */
  static final ResourceDefinitionContext PODS = new ResourceDefinitionContext.Builder()
      .withGroup("").withVersion("v1").withKind("Pod").withPlural("pods").withNamespaced(true).build();
  /** The API's Nodes, read as generic resources. */
  static final ResourceDefinitionContext NODES = new ResourceDefinitionContext.Builder()
      .withGroup("").withVersion("v1").withKind("Node").withPlural("nodes").withNamespaced(false).build();

  /** Where the facts are kept in a cached resource (its only property besides its metadata). */
  private static final String KEY = "lb-health-agent";

  /**
   * One pod: where it runs (null: not scheduled), whether it is being deleted, whether it is
   * Ready, and the host ports its containers take over TCP.
   */
  record PodFacts(String namespace, String name, String version, String node, boolean terminating, boolean ready,
      List<Integer> tcpHostPorts) {
    /** The informer cache's key of the pod. */
    String key() {
      return namespace + "/" + name;
    }
  }

  /** One node: its addresses by type (the first of each), and whether it is Ready. */
  record NodeFacts(String name, String version, Map<String, String> addresses, boolean ready) {}

  /** The facts of a pod as the API gives it, or as the cache keeps it. */
  static PodFacts pod(GenericKubernetesResource pod) {
    if (pod.getAdditionalProperties().get(KEY) instanceof PodFacts kept) {
      return kept;
    }
    ObjectMeta meta = pod.getMetadata();
    List<Integer> ports = new ArrayList<>(1);
    for (Object container : list(pod.get("spec", "containers"))) {
      for (Object port : list(GenericKubernetesResource.get(map(container), "ports"))) {
        Map<String, Object> p = map(port);
        String protocol = (String) p.get("protocol");
        if (p.get("hostPort") instanceof Number hostPort && (protocol == null || protocol.equals("TCP"))) {
          ports.add(hostPort.intValue());
        }
      }
    }
    return new PodFacts(meta.getNamespace(), meta.getName(), meta.getResourceVersion(), pod.get("spec", "nodeName"),
        meta.getDeletionTimestamp() != null, ready(pod), List.copyOf(ports));
  }

  /** The facts of a node as the API gives it, or as the cache keeps it. */
  static NodeFacts node(GenericKubernetesResource node) {
    if (node.getAdditionalProperties().get(KEY) instanceof NodeFacts kept) {
      return kept;
    }
    Map<String, String> addresses = new LinkedHashMap<>();
    for (Object a : list(node.get("status", "addresses"))) {
      Map<String, Object> address = map(a);
      if (address.get("type") instanceof String type && address.get("address") instanceof String value) {
        addresses.putIfAbsent(type, value);
      }
    }
    return new NodeFacts(node.getMetadata().getName(), node.getMetadata().getResourceVersion(), Map.copyOf(addresses), ready(node));
  }

  /**
   * What an informer's cache keeps of a resource: its name, namespace and resource version (for
   * the informer and the freshness check) and its facts. A real pod carries its managed fields,
   * environment, volumes and status history (5-20 KB), a node its images and capacity.
   */
  static GenericKubernetesResource trimmed(GenericKubernetesResource resource, Object facts) {
    ObjectMeta meta = new ObjectMeta();
    meta.setName(resource.getMetadata().getName());
    meta.setNamespace(resource.getMetadata().getNamespace());
    meta.setResourceVersion(resource.getMetadata().getResourceVersion());
    GenericKubernetesResource trimmed = new GenericKubernetesResource();
    trimmed.setApiVersion(resource.getApiVersion());
    trimmed.setKind(resource.getKind());
    trimmed.setMetadata(meta);
    trimmed.setAdditionalProperties(Map.of(KEY, facts));
    return trimmed;
  }

  /** Whether the object's Ready condition is True. */
  private static boolean ready(GenericKubernetesResource resource) {
    for (Object c : list(resource.get("status", "conditions"))) {
      Map<String, Object> condition = map(c);
      if ("Ready".equals(condition.get("type"))) {
        return "True".equals(condition.get("status"));
      }
    }
    return false;
  }

  private static List<?> list(Object value) {
    return value instanceof List<?> list ? list : List.of();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }
}
