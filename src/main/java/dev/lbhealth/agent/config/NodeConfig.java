package dev.lbhealth.agent.config;

/** A backend node: the Kubernetes node name and the address the LB reaches it on. */
public record NodeConfig(String name, String address) {}
