package dev.lbhealth.agent.discovery;

/** What discovery says of a target: whether a pod of the service on its node may serve. */
public enum Placement {
  /** A pod of the service on the node is Ready and not terminating. */
  SERVING,
  /** The service's pod on the node is terminating: drain the node before its port closes. */
  TERMINATING,
  /** No Ready pod of the service on the node (none, or not Ready yet). */
  ABSENT,
  /** Discovery does not say: a static node, or the Kubernetes API is out of reach. The probe decides. */
  UNKNOWN
}
