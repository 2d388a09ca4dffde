package dev.lbhealth.agent.discovery;

import dev.lbhealth.agent.config.AddressRange;
import dev.lbhealth.agent.config.Names;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.discovery.ClusterFacts.NodeFacts;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the Kubernetes API says of a service, as targets: every node with an address of the
 * configured type is a target (so that a pod that moves while the API is away is still found by
 * its port), placed by the service's pods on it; on a node that is not Ready, no pod serves. A pod counts when one of its containers has a
 * port whose {@code hostPort} is the service's port. Node names and addresses come from outside:
 * one that could break or inject LB configuration is refused and reported, never a target. Pure.
 *
 * @param targets the targets in node-name order, each with its placement
 * @param refused what was left out and why, one line each
 */
public record KubernetesView(Map<Target, Placement> targets, List<String> refused) {
  /** The resources a view is made of, as the API names them (for a one-off list of them). */
  public static final io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext NODES = ClusterFacts.NODES;
  public static final io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext PODS = ClusterFacts.PODS;

  /**
   * @param allowed addresses taken although {@link #refusal} refuses their kind (from the
   *     config's {@code kubernetes.allow-addresses})
   */
  public static KubernetesView of(ServiceConfig service, List<AddressRange> allowed, List<GenericKubernetesResource> nodes,
      List<GenericKubernetesResource> pods) {
    return new ViewTracker(service, allowed).of(nodes.stream().map(ClusterFacts::node).toList(),
        pods.stream().map(ClusterFacts::pod).toList());
  }

  static ViewTracker.NodeEntry entry(ServiceConfig service, List<AddressRange> allowed, NodeFacts node) {
    String name = node.name();
    String version = node.version();
    if (!Names.isName(name)) {
      return new ViewTracker.NodeEntry(version, null, "node '" + Names.cut(name) + "' left out: its name is not safe for the LB ("
          + Names.NAME_RULE + ")", false);
    }
    String address = node.addresses().get(service.kubernetes().address());
    if (address == null) {
      return new ViewTracker.NodeEntry(version, null, "node " + name + " left out: no " + service.kubernetes().address() + " address", false);
    }
    if (!Names.isAddress(address)) {
      return new ViewTracker.NodeEntry(version, null, "node " + name + " left out: address '" + Names.cut(address)
          + "' is not an IP address or host name", false);
    }
    String refusal = refusal(address, allowed);
    if (refusal != null) {
      return new ViewTracker.NodeEntry(version, null, "node " + name + " left out: address " + address + " is " + refusal
          + " (kubernetes.allow-addresses takes it)", false);
    }
    return new ViewTracker.NodeEntry(version, new Target(service.name(), name, address, service.port()), null, node.ready());
  }

  /**
   * Why a node's address can never be a backend, or null: one that is no other host's (unspecified,
   * loopback, i.e. the LB box itself, broadcast), or not one host's (multicast), or only reachable
   * on one link (link-local), unless it is in {@code allowed}. A host name is judged where it is
   * resolved.
   */
  static String refusal(String address, List<AddressRange> allowed) {
    if (!Names.isIpLiteral(address)) {
      return null;
    }
    InetAddress ip;
    try {
      ip = InetAddress.getByName(address); // a literal: parsed, never looked up
    } catch (UnknownHostException e) {
      return null;
    }
    if (allowed.stream().anyMatch(r -> r.contains(ip))) {
      return null;
    }
    if (ip.isAnyLocalAddress()) {
      return "unspecified";
    }
    if (ip.isLoopbackAddress()) {
      return "loopback (the LB box itself)";
    }
    if (ip.isLinkLocalAddress()) {
      return "link-local";
    }
    if (ip.isMulticastAddress()) {
      return "multicast";
    }
    if (ip instanceof Inet4Address && java.util.Arrays.equals(ip.getAddress(), new byte[] {-1, -1, -1, -1})) {
      return "the broadcast address";
    }
    return null;
  }

  /**
   * The view once it is too old to place nodes: the same targets, each {@link Placement#UNKNOWN}
   * (the probes decide) but one whose pod was terminating, which stays out: a drain is never undone
   * by a lapse of the API.
   */
  public KubernetesView handedToProbes() {
    Map<Target, Placement> all = new LinkedHashMap<>();
    targets.forEach((t, p) -> all.put(t, p == Placement.TERMINATING ? p : Placement.UNKNOWN));
    return new KubernetesView(all, refused);
  }

  /** Serving wins over terminating (a new pod is Ready beside the old one), which wins over absent. */
  static Placement stronger(Placement a, Placement b) {
    return a.ordinal() <= b.ordinal() ? a : b;
  }
}
