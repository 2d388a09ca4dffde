package dev.lbhealth.agent.status;

import java.util.List;

/**
 * The agent part of /status.
 *
 * @param problems what keeps the agent from being healthy (/healthz answers 503 while any)
 * @param warnings what is degraded without making it unhealthy
 * @param lastConfigReload the last re-read of the config (SIGHUP), or null
 */
public record AgentSection(String version, String startedAt, List<String> problems, List<String> warnings,
    ConfigReload lastConfigReload) {}
