package dev.lbhealth.agent.status;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * How a re-read of the config ended.
 *
 * @param outcome applied or rejected
 * @param changes what an applied config changed (services added, changed, removed)
 * @param errors why a config was rejected, every error named
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ConfigReload(String at, String outcome, List<String> changes, List<String> errors) {
  public static ConfigReload applied(String at, List<String> changes) {
    return new ConfigReload(at, "applied", List.copyOf(changes), null);
  }

  public static ConfigReload rejected(String at, List<String> errors) {
    return new ConfigReload(at, "rejected", null, List.copyOf(errors));
  }
}
