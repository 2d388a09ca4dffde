package dev.lbhealth.agent.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The agent's logging, set up in code (found by logback through the service loader): plain lines
 * on stdout, where journald adds the time and the unit; the level from {@code LOG_LEVEL} (a system
 * property or the environment; INFO by default). No XML: logback's XML configuration loads some
 * 400 classes (an XML parser among them) into a daemon that has no use for them afterwards.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogSetup extends ContextAwareBase implements Configurator {
  @Override
  public ExecutionStatus configure(LoggerContext context) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{HH:mm:ss.SSS} %-5level %logger{0}: %msg%n");
    encoder.start();
    ConsoleAppender<ILoggingEvent> out = new ConsoleAppender<>();
    out.setContext(context);
    out.setName("OUT");
    out.setEncoder(encoder);
    out.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    String level = System.getProperty("LOG_LEVEL", System.getenv().getOrDefault("LOG_LEVEL", "INFO"));
    root.setLevel(Level.toLevel(level, Level.INFO));
    root.addAppender(out);
    context.getLogger("io.netty").setLevel(Level.WARN);
    // fabric8's informers log every failed list or watch with its stack, on every retry: the agent
    // says once, in a line, what failed (forbidden, with verb and resource; no answer).
    context.getLogger("io.fabric8.kubernetes.client.informers").setLevel(Level.ERROR);
    context.getLogger("io.fabric8.kubernetes.client.dsl.internal").setLevel(Level.ERROR);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
