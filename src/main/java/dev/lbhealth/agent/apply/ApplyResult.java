package dev.lbhealth.agent.apply;

import java.util.List;

/**
 * What one apply did.
 *
 * @param outcome unchanged (nothing written), applied, held (not yet: the LB asked to wait, the
 *     errors say why; nothing was written) or failed (the last good file stays)
 * @param method how the LB got the change: {@code none}, {@code runtime-api} or {@code reload}
 * @param errors every problem met, in order; a fallback that worked still lists why it was needed
 */
public record ApplyResult(Outcome outcome, String method, long durationNanos, List<String> errors) {
  public ApplyResult {
    errors = List.copyOf(errors);
  }

  public enum Outcome {
    UNCHANGED,
    APPLIED,
    HELD,
    FAILED
  }

  public boolean failed() {
    return outcome == Outcome.FAILED;
  }
}
