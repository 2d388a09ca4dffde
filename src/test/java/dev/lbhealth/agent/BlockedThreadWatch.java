package dev.lbhealth.agent;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.VertxOptions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * Catches Vert.x's blocked-thread warnings. Tests run Vert.x with a tight limit (an event-loop
 * task over 100 ms is reported) so that any file or process work on an event loop shows up.
 */
public final class BlockedThreadWatch implements AutoCloseable {
  private static final String CHECKER = "io.vertx.core.internal.threadchecker.BlockedThreadChecker";
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(CHECKER);

  public BlockedThreadWatch() {
    appender.start();
    logger.addAppender(appender);
  }

  public static VertxOptions strictOptions() {
    return new VertxOptions()
        .setMaxEventLoopExecuteTime(100)
        .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setBlockedThreadCheckInterval(50)
        .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS);
  }

  public List<String> warnings() {
    return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
  }
}
