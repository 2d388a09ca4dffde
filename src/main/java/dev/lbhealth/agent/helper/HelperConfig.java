package dev.lbhealth.agent.helper;

import dev.lbhealth.agent.config.AgentConfig;
import dev.lbhealth.agent.config.ConfigException;
import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.ServiceConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The config as the apply helper read it, from the root-owned file: the services, their LB files,
 * validate and reload commands and Runtime API sockets come from here, never from the agent. Read
 * again when the file has changed and a request needs it (a service it does not know, a set that
 * renders otherwise than the agent's): then the helper follows the agent's own re-read. A file
 * that does not load keeps the last good one.
 */
final class HelperConfig {
  private static final Logger LOG = LoggerFactory.getLogger(HelperConfig.class);

  private final Path file;
  private AgentConfig config;
  private Object stamp;

  private HelperConfig(Path file, AgentConfig config, Object stamp) {
    this.file = file;
    this.config = config;
    this.stamp = stamp;
  }

  static HelperConfig load(Path file) throws ConfigException, IOException {
    Object stamp = stamp(file);
    return new HelperConfig(file, ConfigLoader.load(file), stamp);
  }

  /** A config held in memory (the tests' and benchmarks' helpers): never read again. */
  static HelperConfig of(AgentConfig config) {
    return new HelperConfig(null, config, null);
  }

  /** Where the config comes from, for messages. */
  String source() {
    return file == null ? "the helper's config" : file.toString();
  }

  synchronized ServiceConfig service(String name) {
    return config.services().stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
  }

  synchronized java.util.List<ServiceConfig> services() {
    return config.services();
  }

  /** Reads the file again if it changed since; true if the config changed. */
  synchronized boolean refresh() {
    if (file == null) {
      return false;
    }
    try {
      Object now = stamp(file);
      if (now.equals(stamp)) {
        return false;
      }
      stamp = now;
      config = ConfigLoader.load(file);
      LOG.info("re-read {}: {} service(s)", file, config.services().size());
      return true;
    } catch (IOException | ConfigException e) {
      LOG.warn("cannot re-read {}, keeping the config read before: {}", file, e.getMessage());
      return false;
    }
  }

  private static Object stamp(Path file) throws IOException {
    BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
    return java.util.List.of(a.lastModifiedTime(), a.size(), String.valueOf(a.fileKey()));
  }
}
