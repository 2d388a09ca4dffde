package dev.lbhealth.agent.config;

import java.util.List;

/** A configuration was rejected; {@link #errors()} names every problem with its path. */
public final class ConfigException extends Exception {
  private final List<String> errors;

  public ConfigException(String source, List<String> errors) {
    super(source + ": " + errors.size() + " error(s)\n  " + String.join("\n  ", errors));
    this.errors = List.copyOf(errors);
  }

  public List<String> errors() {
    return errors;
  }
}
