package dev.lbhealth.agent.apply;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * HAProxy's Runtime API (an admin-level stats socket), spoken asynchronously with a Vert.x
 * {@link NetClient} over a Unix or TCP socket. One conversation at a time: an exchange queued
 * behind another starts when that one has ended, so commands never interleave. Each exchange
 * sends several commands in interactive mode ({@code prompt}), where HAProxy ends every answer
 * with a prompt, so that each command gets its own answer to be checked. An exchange that does
 * not end within the timeout fails (a hung HAProxy cannot hold the agent); so does one whose
 * socket is missing or closes early. Runs on the context of whoever calls it.
 */
final class HaproxyRuntimeApi {
  /** An answer ends where HAProxy prints its prompt at the start of a line. */
  private static final Pattern PROMPT = Pattern.compile("(?m)^> ");
  /** An answer longer than this is not HAProxy talking to us: fail instead of buffering on. */
  private static final int MAX_ANSWER = 16 << 20;

  private final Vertx vertx;
  private final String endpoint;
  /** The line that opens each conversation (the apply helper's {@code runtime SERVICE}), or null. */
  private final String opening;
  private final Duration timeout;
  private final NetClient client;
  private Future<?> tail = Future.succeededFuture();

  /**
   * @param endpoint a Unix socket path, or host:port of a TCP stats socket; and the line that
   *     opens each conversation there, if any
   * @param timeout how long one exchange may take, connect included
   */
  HaproxyRuntimeApi(Vertx vertx, LbControl.RuntimeEndpoint endpoint, Duration timeout) {
    this.vertx = vertx;
    this.endpoint = endpoint.address();
    this.opening = endpoint.opening();
    this.timeout = timeout;
    this.client = vertx.createNetClient(new NetClientOptions().setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis())));
  }

  String endpoint() {
    return endpoint;
  }

  /**
   * At most this many commands go in one exchange: HAProxy isolates its threads for each
   * {@code add server} and {@code del server} (1-2 ms each), so a mass change (every node of a
   * large cluster at once) is sent as several exchanges, each well within the command timeout.
   */
  static final int BATCH = 100;

  /**
   * Sends the commands in exchanges of at most {@link #BATCH}, one after the other, after any
   * exchange already queued; the future holds one answer per command, stripped, in order. Fails
   * with an {@link IOException} that names the socket when it cannot be reached, closes early or
   * does not answer in time (the commands of the exchanges before have been carried out).
   */
  Future<List<String>> run(List<String> commands) {
    Future<List<String>> mine = tail.transform(ignored -> inBatches(commands));
    tail = mine;
    return mine;
  }

  private Future<List<String>> inBatches(List<String> commands) {
    if (commands.size() <= BATCH) {
      return exchange(commands);
    }
    List<String> answers = new ArrayList<>(commands.size());
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < commands.size(); from += BATCH) {
      List<String> part = commands.subList(from, Math.min(commands.size(), from + BATCH));
      chain = chain.compose(done -> exchange(part).map(a -> {
        answers.addAll(a);
        return null;
      }));
    }
    return chain.map(done -> answers);
  }

  Future<Void> close() {
    return client.close();
  }

  private Future<List<String>> exchange(List<String> commands) {
    Promise<List<String>> answer = Promise.promise();
    Buffer received = Buffer.buffer();
    long deadline = vertx.setTimer(Math.max(1, timeout.toMillis()),
        id -> answer.tryFail(failure("no answer within " + timeout.toMillis() + " ms")));
    client.connect(address()).onComplete(connected -> {
      if (connected.failed()) {
        answer.tryFail(failure(connected.cause().getMessage()));
        return;
      }
      var socket = connected.result();
      answer.future().onComplete(done -> socket.close());
      socket.handler(data -> {
        received.appendBuffer(data);
        if (received.length() > MAX_ANSWER) {
          answer.tryFail(failure("answer larger than " + MAX_ANSWER + " bytes"));
        }
      });
      socket.exceptionHandler(e -> answer.tryFail(failure(e.getMessage()
          + (received.length() == 0 ? "" : " after it said '" + abbreviate(received.toString(StandardCharsets.UTF_8)) + "'"))));
      socket.closeHandler(closed -> {
        List<String> answers = split(received.toString(StandardCharsets.UTF_8), commands.size());
        if (answers == null) {
          answer.tryFail(failure("closed after " + received.length() + " bytes, before answering all "
              + commands.size() + " command(s): " + abbreviate(received.toString(StandardCharsets.UTF_8))));
        } else {
          answer.tryComplete(answers);
        }
      });
      StringBuilder out = new StringBuilder(opening == null ? "" : opening + "\n").append("prompt\n");
      commands.forEach(c -> out.append(c).append('\n'));
      socket.write(out.append("quit\n").toString());
    });
    return answer.future().andThen(done -> vertx.cancelTimer(deadline));
  }

  /**
   * The answers to {@code count} commands sent after {@code prompt}, or null if the text ends
   * before the last of them: the text before the first prompt answers {@code prompt} itself,
   * each later piece answers one command, and the last piece follows {@code quit}.
   */
  static List<String> split(String text, int count) {
    String[] pieces = PROMPT.split(text, -1);
    if (pieces.length < count + 2) {
      return null;
    }
    List<String> answers = new ArrayList<>(count);
    for (int i = 1; i <= count; i++) {
      answers.add(pieces[i].strip());
    }
    return answers;
  }

  private SocketAddress address() {
    if (endpoint.startsWith("/")) {
      return SocketAddress.domainSocketAddress(endpoint);
    }
    int colon = endpoint.lastIndexOf(':');
    return SocketAddress.inetSocketAddress(Integer.parseInt(endpoint.substring(colon + 1)), endpoint.substring(0, colon));
  }

  private IOException failure(String why) {
    return new IOException("runtime API " + endpoint + ": " + why);
  }

  static String abbreviate(String text) {
    String flat = text.strip().replaceAll("\\s+", " ");
    return flat.length() > 200 ? flat.substring(0, 200) + "..." : flat;
  }
}
