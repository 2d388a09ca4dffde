package dev.lbhealth.agent.apply;

/**
 * One write of the LB file after a live switch (validated, then atomic).
 *
 * @param outcome written, unchanged (the file already said so), or failed (the old file stays)
 * @param error why it failed, or null
 */
public record FileWrite(ApplyResult.Outcome outcome, long durationNanos, String error) {}
