package dev.lbhealth.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a re-read config changes, as the agent acts on it and says it (SIGHUP). */
class ConfigDiffTest {
  @TempDir Path dir;

  /** A config of these services, each "name port interval node..." with static nodes on loopback. */
  private AgentConfig config(int statusPort, String... services) throws Exception {
    StringBuilder yaml = new StringBuilder("status: { port: " + statusPort + " }\nservices:\n");
    for (String service : services) {
      String[] f = service.split(" ");
      yaml.append("  - name: ").append(f[0]).append("\n    port: ").append(f[1])
          .append("\n    probe: { type: tcp, interval: ").append(f[2]).append(", timeout: 50ms }\n    nodes:\n");
      for (int i = 3; i < f.length; i++) {
        yaml.append("      - { name: ").append(f[i]).append(", address: 127.0.0.").append(i - 1).append(" }\n");
      }
      yaml.append("    lb: { file: ").append(dir).append('/').append(f[0]).append(".cfg }\n");
    }
    return ConfigLoader.parse(yaml.toString(), "agent.yaml");
  }

  private static List<String> names(List<ServiceConfig> services) {
    return services.stream().map(ServiceConfig::name).toList();
  }

  @Test
  void theSameConfigChangesNothing() throws Exception {
    AgentConfig running = config(9900, "rsync-ssh 9890 1s copernicus galileo newton");
    ConfigDiff diff = ConfigDiff.between(running, config(9900, "rsync-ssh 9890 1s copernicus galileo newton"));
    assertEquals(List.of("rsync-ssh"), names(diff.unchanged()));
    assertEquals(List.of(), diff.changes());
  }

  @Test
  void eachServiceIsKeptFollowedLiveRestartedAddedOrRemovedAndSaidInTheNewConfigsOrder() throws Exception {
    AgentConfig running = config(9900, "rsync-ssh 9890 1s copernicus galileo newton", "git-ssh 9891 1s copernicus galileo",
        "web 8080 1s copernicus", "old 9999 1s newton");
    AgentConfig next = config(9900, "web 8080 1s copernicus", "metrics 9100 1s galileo",
        "git-ssh 9891 2s copernicus galileo", "rsync-ssh 9890 1s copernicus galileo");
    ConfigDiff diff = ConfigDiff.between(running, next);
    assertEquals(List.of("web"), names(diff.unchanged()));
    assertEquals(List.of("rsync-ssh"), names(diff.nodesOnly()), "a node removed: followed live, the others keep their state");
    assertEquals(List.of("git-ssh"), names(diff.changed()), "another probe interval: the service starts anew");
    assertEquals(List.of("metrics"), names(diff.added()));
    assertEquals(List.of("old"), diff.removed());
    assertEquals(List.of("added metrics", "changed git-ssh", "nodes of rsync-ssh", "removed old"), diff.changes());
  }

  @Test
  void whatTakesEffectOnlyAtARestartIsSaid() throws Exception {
    ConfigDiff diff = ConfigDiff.between(config(9900, "rsync-ssh 9890 1s copernicus"), config(9911, "rsync-ssh 9890 1s copernicus"));
    assertEquals(List.of("rsync-ssh"), names(diff.unchanged()));
    assertEquals(List.of("status listener unchanged until restart (127.0.0.1:9911)"), diff.changes());
  }
}
