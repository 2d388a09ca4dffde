package dev.lbhealth.agent.cli;

import dev.lbhealth.agent.config.AgentConfig;
import dev.lbhealth.agent.config.ConfigException;
import dev.lbhealth.agent.config.ConfigLoader;
import java.nio.file.Path;

/** Loads the config for a command, printing every error to stderr on failure. */
final class Configs {
  private Configs() {}

  static AgentConfig loadOrReport(Path file) {
    try {
      return ConfigLoader.load(file);
    } catch (ConfigException e) {
      System.err.println("invalid configuration " + e.getMessage());
      return null;
    }
  }
}
