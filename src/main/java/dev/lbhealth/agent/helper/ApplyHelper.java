package dev.lbhealth.agent.helper;

import dev.lbhealth.agent.apply.AtomicFile;
import dev.lbhealth.agent.apply.HelperProtocol.Refused;
import dev.lbhealth.agent.apply.HelperProtocol;
import dev.lbhealth.agent.apply.LbControl;
import dev.lbhealth.agent.apply.LbWriters;
import dev.lbhealth.agent.apply.Leftovers;
import dev.lbhealth.agent.apply.SocketIo;
import dev.lbhealth.agent.config.AgentConfig;
import dev.lbhealth.agent.config.ConfigException;
import dev.lbhealth.agent.config.LbConfig;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The privileged half of the agent, as OpenSSH's privsep has one: it owns the LB's files and
 * reload and HAProxy's admin socket, and takes from the agent only data ({@link HelperProtocol}):
 * a server list per configured service, which it renders with its own reading of the config,
 * validates, writes atomically and reloads; a reload or restore by service name; and Runtime API
 * lines that {@link RuntimeGate} lets through. A peer that is not the agent's user, and any
 * request that does not parse, is refused with what was wrong; nothing is written for it.
 */
public final class ApplyHelper implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ApplyHelper.class);
  /** A request must have arrived in full within this long of its connection. */
  private static final long REQUEST_NANOS = TimeUnit.SECONDS.toNanos(5);
  private static final int MAX_RUNTIME_LINES = 1000;
  private static final int MAX_RUNTIME_ANSWER = 16 << 20;

  private final HelperConfig config;
  private final ServerSocketChannel server;
  private final String peerUser;
  private final ExecutorService workers;
  /** Per service: what its last apply replaced (empty: no file), for a restore. */
  private final Map<String, Optional<String>> replaced = new ConcurrentHashMap<>();
  private final Map<String, Object> locks = new ConcurrentHashMap<>();
  private final Object leftoversLock = new Object();
  /** Per backend: its gate, whose patterns are compiled once. */
  private final Map<String, RuntimeGate> gates = new ConcurrentHashMap<>();

  /**
   * @param server the listening Unix socket (systemd's, or one bound for a test)
   * @param peerUser the only user whose connections are served: the agent's
   */
  public ApplyHelper(HelperConfig config, ServerSocketChannel server, String peerUser) {
    this.config = config;
    this.server = server;
    this.peerUser = peerUser;
    AtomicInteger n = new AtomicInteger();
    this.workers = Executors.newFixedThreadPool(8, r -> {
      Thread t = new Thread(r, "apply-helper-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  public static ApplyHelper of(Path configFile, ServerSocketChannel server, String peerUser)
      throws ConfigException, IOException {
    return new ApplyHelper(HelperConfig.load(configFile), server, peerUser);
  }

  /** A helper for a config held in memory (tests, benchmarks): it is never read again. */
  public static ApplyHelper forConfig(AgentConfig config, ServerSocketChannel server, String peerUser) {
    return new ApplyHelper(HelperConfig.of(config), server, peerUser);
  }

  /** Binds a Unix socket at {@code path} (mode 0660), replacing a stale one. */
  public static ServerSocketChannel bind(Path path) throws IOException {
    return bind(path, null);
  }

  /**
   * Binds a Unix socket at {@code path} (mode 0660), replacing a stale one.
   *
   * @param group the socket's group (the agent's), or null to leave it
   */
  public static ServerSocketChannel bind(Path path, String group) throws IOException {
    Files.deleteIfExists(path);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(path));
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
    if (group != null) {
      Files.getFileAttributeView(path, PosixFileAttributeView.class)
          .setGroup(path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group));
    }
    return server;
  }

  /** Serves connections on a thread of its own until closed (tests, benchmarks). */
  public ApplyHelper serveInBackground() {
    Thread t = new Thread(this::serve, "apply-helper-accept");
    t.setDaemon(true);
    t.start();
    return this;
  }

  /** Serves connections until the socket is closed. */
  public void serve() {
    LOG.info("apply helper serving {} for user {}, with the services of {}", address(), peerUser, config.source());
    while (server.isOpen()) {
      try {
        SocketChannel accepted = server.accept();
        workers.execute(() -> handle(accepted));
      } catch (ClosedChannelException closed) {
        return;
      } catch (IOException e) {
        LOG.warn("accept failed: {}", e.getMessage());
      }
    }
  }

  private String address() {
    try {
      return String.valueOf(server.getLocalAddress());
    } catch (IOException e) {
      return "its socket";
    }
  }

  private void handle(SocketChannel channel) {
    long deadline = System.nanoTime() + REQUEST_NANOS;
    try (SocketIo io = SocketIo.of(channel)) {
      String answer;
      try {
        answer = answer(io, deadline);
      } catch (Refused r) {
        LOG.warn("refused: {}", r.getMessage());
        answer = "refused\n" + r.getMessage() + "\n";
      }
      if (answer != null) {
        io.write(answer, System.nanoTime() + REQUEST_NANOS);
      }
      // Read what the peer sent beyond what was needed (a refused request): closing on unread
      // bytes would reset the connection before the peer has read the answer.
      io.endOutput();
      io.readAll(HelperProtocol.MAX_LINE * (HelperProtocol.MAX_SERVERS + 2), System.nanoTime() + REQUEST_NANOS);
    } catch (IOException | RuntimeException e) {
      LOG.warn("a request ended badly: {}", e.toString());
    }
  }

  /** The answer to the connection's request, or null when it was relayed already. */
  private String answer(SocketIo io, long deadline) throws Refused, IOException {
    UnixDomainPrincipal peer = io.channel().getOption(ExtendedSocketOptions.SO_PEERCRED);
    if (!peer.user().getName().equals(peerUser)) {
      throw new Refused("peer user " + peer.user().getName() + " is not " + peerUser + ": only the agent's user is served");
    }
    String first = line(io, deadline);
    if (first == null) {
      throw new Refused("an empty request");
    }
    HelperProtocol.Request request = HelperProtocol.header(first);
    if (request instanceof HelperProtocol.RemoveLeftovers) {
      return removeLeftovers();
    }
    ServiceConfig service = service(request.service());
    if (request instanceof HelperProtocol.Runtime) {
      // No file is touched: never held behind a validate or reload of the same service.
      return runtime(io, service, lines(io, deadline, MAX_RUNTIME_LINES, "quit"));
    }
    synchronized (locks.computeIfAbsent(service.name(), k -> new Object())) {
      if (request instanceof HelperProtocol.Apply a) {
        return apply(a, service, lines(io, deadline, HelperProtocol.MAX_SERVERS + 2, "end"));
      } else if (request instanceof HelperProtocol.Restore r) {
        return restore(r, service);
      }
      LOG.info("service {}: running its reload command, as the agent asked", service.name());
      return verdict(LbControl.local().reload(service));
    }
  }

  private ServiceConfig service(String name) throws Refused {
    ServiceConfig service = config.service(name);
    if (service == null && config.refresh()) {
      service = config.service(name);
    }
    if (service == null) {
      throw new Refused("unknown service '" + name + "': not in " + config.source());
    }
    return service;
  }

  private String apply(HelperProtocol.Apply request, ServiceConfig service, List<String> lines) throws Refused {
    ServerSet set = HelperProtocol.servers(service.name(), service.port(), lines);
    String text = render(service, set);
    if (!HelperProtocol.sha256(text).equals(request.sha256())) {
      ServiceConfig reread = config.refresh() ? config.service(service.name()) : null;
      text = reread == null ? text : render(reread, set);
      if (reread == null || !HelperProtocol.sha256(text).equals(request.sha256())) {
        throw new Refused("apply " + service.name() + ": the servers render to other text than the agent's: the agent and"
            + " the helper read different configs (the helper re-reads " + config.source() + " when it changes)");
      }
      service = reread;
    }
    LbConfig lb = service.lb();
    long start = System.nanoTime();
    String previous;
    try {
      previous = AtomicFile.read(lb.file());
    } catch (IOException e) {
      return verdict("cannot read " + lb.file() + ": " + e.getMessage());
    }
    String error = request.reload() ? LbControl.local().installAndReload(service, set, text, previous)
        : LbControl.local().install(service, set, text);
    if (error == null) {
      replaced.put(service.name(), Optional.ofNullable(previous));
      LOG.info("service {}: {} {} ({} servers) in {} ms", service.name(), request.reload() ? "validated, wrote and reloaded" : "validated and wrote",
          lb.file(), set.size(), String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - start) / 1e6));
    } else {
      LOG.warn("service {}: {}", service.name(), error);
    }
    return verdict(error);
  }

  /** Goes by the config as it is on disk now: what the agent just re-read. */
  private String removeLeftovers() {
    synchronized (leftoversLock) {
      config.refresh();
      Leftovers.Outcome outcome = Leftovers.remove(config.services());
      outcome.removed().forEach(f -> LOG.info("removed {}: its service is no longer in {}", f, config.source()));
      outcome.kept().forEach(k -> LOG.warn("kept {}", k));
      return "ok\n" + HelperProtocol.leftovers(outcome);
    }
  }

  private static String render(ServiceConfig service, ServerSet set) throws Refused {
    try {
      return LbWriters.preview(service, set);
    } catch (IllegalArgumentException e) {
      throw new Refused("apply " + service.name() + ": " + e.getMessage());
    }
  }

  private String restore(HelperProtocol.Restore request, ServiceConfig service) throws Refused {
    Optional<String> before = replaced.get(service.name());
    String wanted = request.sha256();
    if (before == null || (wanted == null) != before.isEmpty()
        || wanted != null && !HelperProtocol.sha256(before.get()).equals(wanted)) {
      throw new Refused("restore " + service.name() + ": that is not what the helper's last apply of it replaced");
    }
    String error = LbControl.local().restore(service, before.orElse(null));
    if (error == null) {
      replaced.remove(service.name());
      LOG.info("service {}: put the previous {} back", service.name(), service.lb().file());
    }
    return verdict(error);
  }

  /** Checks every line first: a conversation with one refused line sends HAProxy nothing. */
  private String runtime(SocketIo agent, ServiceConfig service, List<String> lines) throws Refused, IOException {
    String socket = service.lb().runtimeApi();
    if (socket == null) {
      throw new Refused("runtime " + service.name() + ": the service has no lb.runtime-api in " + config.source());
    }
    RuntimeGate gate = gates.computeIfAbsent(service.lb().upstream(), RuntimeGate::new);
    for (String line : lines) {
      gate.check(line);
    }
    long deadline = System.nanoTime() + service.lb().commandTimeout().toNanos();
    String answer;
    try (SocketIo haproxy = SocketIo.connect(socket, deadline)) {
      haproxy.write(String.join("\n", lines) + "\n", deadline);
      answer = haproxy.readAll(MAX_RUNTIME_ANSWER, deadline);
    } catch (IOException e) {
      // The agent sees the conversation end before HAProxy's answers, with why.
      LOG.warn("service {}: runtime API {}: {}", service.name(), socket, e.getMessage());
      return "runtime API " + socket + ": " + e.getMessage() + "\n";
    }
    agent.write(answer, deadline);
    return null;
  }

  /** The lines of a request up to and including {@code last}. */
  private static List<String> lines(SocketIo io, long deadline, int max, String last) throws Refused, IOException {
    List<String> lines = new ArrayList<>();
    long bytes = 0;
    while (true) {
      String line = line(io, deadline);
      if (line == null) {
        throw new Refused("the request ended before '" + last + "'");
      }
      bytes += line.length() + 1;
      if (bytes > HelperProtocol.MAX_REQUEST) {
        throw new Refused("a request larger than " + HelperProtocol.MAX_REQUEST + " bytes");
      }
      lines.add(line);
      if (line.equals(last)) {
        return lines;
      }
      if (lines.size() >= max) {
        throw new Refused("more than " + max + " lines");
      }
    }
  }

  private static String line(SocketIo io, long deadline) throws Refused {
    try {
      return io.readLine(HelperProtocol.MAX_LINE, deadline);
    } catch (IOException e) {
      throw new Refused("unreadable request: " + e.getMessage());
    }
  }

  private static String verdict(String error) {
    return error == null ? "ok\n" : "failed\n" + error + "\n";
  }

  @Override
  public void close() throws IOException {
    server.close();
    workers.shutdown();
  }
}
