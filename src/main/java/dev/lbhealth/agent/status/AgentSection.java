package dev.lbhealth.agent.status;

import java.util.List;

/**
 * The agent part of /status.
 *
 * @param configSha256 the SHA-256 of the config file the agent runs (as read at start or at the last
 *     accepted reload): equal to the file's, the agent runs what is on disk
 * @param problems what keeps the agent from being healthy (/healthz answers 503 while any)
 * @param warnings what is degraded without making it unhealthy
 * @param lastConfigReload the last re-read of the config (SIGHUP), or null
 */
public record AgentSection(String version, String startedAt, String configSha256, List<String> problems, List<String> warnings,
    ConfigReload lastConfigReload) {}
