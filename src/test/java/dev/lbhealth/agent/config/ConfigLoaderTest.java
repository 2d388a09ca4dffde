package dev.lbhealth.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lbhealth.agent.config.ProbeConfig.Type;
import dev.lbhealth.agent.config.ServiceConfig.WhenEmpty;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  private String service(String probe, String extra) {
    return """
        services:
          - name: rsync-ssh
            port: 9890
            probe:
        %s
            nodes:
              - { name: copernicus, address: 127.0.0.2 }
              - { name: galileo, address: 127.0.0.3 }
            lb:
              file: %s/rsync.cfg
        %s""".formatted(probe.indent(6).stripTrailing(), dir, extra);
  }

  private List<String> errors(String yaml) {
    return assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "test.yaml")).errors();
  }

  @Test
  void readsAFullServiceWithDefaults() throws Exception {
    AgentConfig c = ConfigLoader.parse(service("type: banner\nexpect: SSH-2.0-\ninterval: 100ms\ntimeout: 80ms", ""), "t");
    ServiceConfig s = c.services().get(0);
    assertEquals("127.0.0.1", c.status().host());
    assertEquals(9900, c.status().port());
    assertEquals(Type.BANNER, s.probe().type());
    assertEquals(Duration.ofMillis(100), s.probe().interval());
    assertEquals(Duration.ofMillis(80), s.probe().timeout());
    assertEquals(2, s.probe().rise());
    assertEquals(WhenEmpty.ALL_NODES, s.whenEmpty());
    assertEquals("rsync-ssh", s.lb().upstream());
    assertEquals(Duration.ofMillis(80), s.coalesceMax(), "max defaults to 4 x min");
    assertEquals(List.of("copernicus", "galileo"), s.nodes().stream().map(NodeConfig::name).toList());
  }

  @Test
  void flapDampingIsOnByDefaultAndCanBeTunedOrTurnedOff() throws Exception {
    assertEquals(DampingConfig.DEFAULT, ConfigLoader.parse(service("type: tcp", ""), "t").services().get(0).probe().damping());
    assertFalse(ConfigLoader.parse(service("damping: off", ""), "t").services().get(0).probe().damping().enabled());
    assertFalse(ConfigLoader.parse(service("damping: false", ""), "t").services().get(0).probe().damping().enabled());
    assertEquals(new DampingConfig(Duration.ofSeconds(30), 6, 2, Duration.ofMinutes(5)), ConfigLoader.parse(
        service("damping: { half-life: 30s, suppress: 6, reuse: 2, max-hold: 5m }", ""), "t").services().get(0).probe().damping());
    assertEquals(List.of("services[0].probe.damping.reuse: 5.0 must be below suppress 4.0"),
        errors(service("damping: { reuse: 5 }", "")));
    assertEquals(List.of("services[0].probe.damping.max-hold: 10s is too short to ever damp: a penalty decays from suppress 4.0 to reuse 1.0 in 20s"),
        errors(service("damping: { max-hold: 10s }", "")));
    assertEquals(List.of("services[0].probe.damping: must be a mapping of keys to values"), errors(service("damping: sometimes", "")));
  }

  @Test
  void namesTimeoutThatIsNotShorterThanInterval() {
    assertEquals(List.of("services[0].probe.timeout: 3s must be shorter than interval 1s"),
        errors(service("interval: 1s\ntimeout: 3s", "")));
  }

  @Test
  void reportsEveryErrorAtOnceWithItsPath() {
    String yaml = """
        status: { host: "127.0.0.1", port: 99999 }
        services:
          - name: "bad name"
            port: 0
            probe: { type: ping, interval: soon, rise: 0 }
            nodes:
              - { name: copernicus, address: 300.0.0.2 }
              - { name: copernicus, address: "127.0.0.3;drop" }
            lb: { file: relative.cfg, colour: blue }
            extra: 1
        """;
    List<String> errors = errors(yaml);
    List<String> expected = List.of(
        "status.port: 99999 must be a whole number from 0 to 65535",
        "services[0].extra: unknown key",
        "services[0].name: 'bad name' is not a valid name",
        "services[0].port: 0 must be a whole number from 1 to 65535",
        "services[0].probe.type: 'ping' is not one of tcp, banner, http",
        "services[0].probe.interval: 'soon' is not a duration",
        "services[0].probe.rise: 0 must be a whole number from 1 to 100",
        "services[0].nodes[0].address: '300.0.0.2' is not an IP address or host name",
        "services[0].nodes[1].name: 'copernicus' is already used by services[0].nodes[0]",
        "services[0].nodes[1].address: '127.0.0.3;drop' is not an IP address or host name",
        "services[0].lb.colour: unknown key",
        "services[0].lb.file: 'relative.cfg' must be an absolute path");
    for (String e : expected) {
      assertTrue(errors.stream().anyMatch(got -> got.startsWith(e)), "missing '" + e + "' in " + errors);
    }
    assertEquals(expected.size(), errors.size(), errors.toString());
  }

  @Test
  void rejectsDuplicateServicesAndFiles() {
    String one = service("type: tcp", "");
    String two = one + one.substring(one.indexOf("  - name"));
    List<String> errors = errors(two);
    assertTrue(errors.contains("services[1].name: 'rsync-ssh' is already used by services[0]"), errors.toString());
    assertTrue(errors.stream().anyMatch(e -> e.startsWith("services[1].lb.file: ") && e.endsWith("is already written by services[0]")), errors.toString());
  }

  @Test
  void bannerNeedsAPrefixAndHttpOnlyKeysStayWithHttp() {
    List<String> errors = errors(service("type: banner\npath: /x", ""));
    assertEquals(List.of(
        "services[0].probe.expect: is required for a banner probe (e.g. SSH-2.0-)",
        "services[0].probe.path: only applies to type http"), errors);
  }

  @Test
  void nginxKeysAreCheckedAgainstTheirKind() {
    List<String> haproxyWithListen = errors(service("type: tcp", "      listen: 9890\n"));
    assertEquals(List.of("services[0].lb.listen: only applies to kind nginx (HAProxy frontends stay in haproxy.cfg)"), haproxyWithListen);
    List<String> nginx = errors(service("type: tcp", "      kind: nginx\n      listen: \"1.2.3.4:99999\"\n      runtime-api: /run/x.sock\n"));
    assertTrue(nginx.contains("services[0].lb.listen: '1.2.3.4:99999' must be a port or address:port, e.g. 9890 or 0.0.0.0:9890"), nginx.toString());
    assertTrue(nginx.contains("services[0].lb.runtime-api: only applies to kind haproxy"), nginx.toString());
    assertTrue(nginx.contains("services[0].lb.file: " + dir + "/rsync.cfg must be inside config-root /etc/nginx for a validate command with {root}"), nginx.toString());
  }

  @Test
  void runtimeApiKeysNeedTheRuntimeApiAndSaneValues() throws Exception {
    assertEquals(List.of(
        "services[0].lb.drain-timeout: only applies with runtime-api (HAProxy's Runtime API)",
        "services[0].lb.on-drift: only applies with runtime-api (HAProxy's Runtime API)"),
        errors(service("type: tcp", "      drain-timeout: 5m\n      on-drift: report\n")));
    assertEquals(List.of("services[0].lb.drift-check: 10ms is too short (at least 100ms)"),
        errors(service("type: tcp", "      runtime-api: /run/haproxy/admin.sock\n      drift-check: 10ms\n")));
    assertTrue(errors(service("type: tcp", "      runtime-api: /run/x.sock\n      on-drift: ignore\n")).get(0)
        .startsWith("services[0].lb.on-drift: "), "an unknown choice is named");

    LbConfig lb = ConfigLoader.parse(service("type: tcp", "      runtime-api: /run/haproxy/admin.sock\n      drain-timeout: 2h\n"),
        "t").services().get(0).lb();
    assertEquals(java.time.Duration.ofHours(2), lb.drainTimeout());
    assertEquals(LbConfig.DEFAULT_DRIFT_CHECK, lb.driftCheck());
    assertEquals(LbConfig.OnDrift.CORRECT, lb.onDrift());
  }

  /** A service that finds its nodes in Kubernetes, under the given top-level section. */
  private String kubernetes(String top, String serviceSection) {
    return top + """
        services:
          - name: rsync-ssh
            port: 9890
            probe: { type: tcp }
            kubernetes: %s
            lb: { file: %s/rsync.cfg }
        """.formatted(serviceSection, dir);
  }

  @Test
  void readsKubernetesDiscoveryWithItsDefaults() throws Exception {
    Path kubeconfig = Files.writeString(dir.resolve("k3s.yaml"), "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\n");
    AgentConfig c = ConfigLoader.parse(kubernetes("kubernetes: { kubeconfig: " + kubeconfig + " }\n",
        "{ selector: \"name=hc-rsyncer-app\" }"), "t");
    assertEquals(new KubernetesConfig(kubeconfig, null, null, null), c.kubernetes());
    assertEquals(new KubernetesTargets("default", "name=hc-rsyncer-app", "InternalIP"), c.services().get(0).kubernetes());
    assertEquals(List.of(), c.services().get(0).nodes(), "static nodes are optional beside discovery");
  }

  @Test
  void readsHowLongTheKubernetesViewIsTrustedAndWhichAddressesAreAllowed() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "t");
    String top = "kubernetes:\n  server: \"https://127.0.0.1:6443\"\n  token-file: " + token + "\n";
    AgentConfig c = ConfigLoader.parse(kubernetes(top + "  check-interval: 2s\n  stale-after: 10s\n  probes-decide-after: 1m\n"
        + "  allow-addresses: [127.0.0.0/8, \"fd00::/8\", 10.0.0.7]\n", "{ selector: \"name=x\" }"), "t");
    assertEquals(new KubernetesConfig.Freshness(java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(10),
        java.time.Duration.ofMinutes(1)), c.kubernetes().freshness());
    assertEquals(List.of(AddressRange.parse("127.0.0.0/8"), AddressRange.parse("fd00::/8"), AddressRange.parse("10.0.0.7/32")),
        c.kubernetes().allowAddresses());
    assertEquals(KubernetesConfig.Freshness.DEFAULT, ConfigLoader.parse(kubernetes(top, "{ selector: \"name=x\" }"), "t")
        .kubernetes().freshness());

    assertEquals(List.of(
        "kubernetes.stale-after: 3s must be at least twice check-interval (2s): a read may take up to check-interval",
        "kubernetes.probes-decide-after: 1s must not be shorter than stale-after (3s)",
        "kubernetes.allow-addresses[1]: 'node-7.example' is not an IP address or CIDR block such as 127.0.0.0/8",
        "kubernetes.allow-addresses[2]: '10.0.0.0/40': the prefix length must be 0 to 32"),
        errors(kubernetes(top + "  check-interval: 2s\n  stale-after: 3s\n  probes-decide-after: 1s\n"
            + "  allow-addresses: [127.0.0.0/8, node-7.example, 10.0.0.0/40]\n", "{ selector: \"name=x\" }")));
  }

  @Test
  void namesEveryKubernetesMistakeWithItsPath() throws Exception {
    assertEquals(List.of("services[0].kubernetes: needs the top-level kubernetes section (kubeconfig, or server and token-file)"),
        errors(kubernetes("", "{ selector: \"name=x\" }")));
    assertEquals(List.of("kubernetes.kubeconfig: give either kubeconfig, or server with token-file"),
        errors(kubernetes("kubernetes: {}\n", "{ selector: \"name=x\" }")));
    assertEquals(List.of("kubernetes.token-file: is required with server (the service account's token, see config/rbac.yaml)"),
        errors(kubernetes("kubernetes: { server: \"https://127.0.0.1:6443\" }\n", "{ selector: \"name=x\" }")));
    Path notKube = Files.writeString(dir.resolve("agent-by-mistake.yaml"), "services: []\n");
    assertEquals(List.of("kubernetes.kubeconfig: " + notKube + " is not a kubeconfig (a YAML file with clusters and users)"),
        errors(kubernetes("kubernetes: { kubeconfig: " + notKube + " }\n", "{ selector: \"name=x\" }")));
    assertEquals(List.of("kubernetes.kubeconfig: " + dir.resolve("none.yaml") + " is not a readable file"),
        errors(kubernetes("kubernetes: { kubeconfig: " + dir.resolve("none.yaml") + " }\n", "{ selector: \"name=x\" }")));
    Path token = Files.writeString(dir.resolve("token"), "t");
    List<String> service = errors(kubernetes("kubernetes: { server: \"https://127.0.0.1:6443\", token-file: " + token + " }\n",
        "{ namespace: Default, address: PodIP, color: blue }"));
    assertEquals(List.of(
        "services[0].kubernetes.color: unknown key (valid here: address, namespace, selector)",
        "services[0].kubernetes.namespace: 'Default' is not a Kubernetes namespace name (lower-case letters, digits, '-')",
        "services[0].kubernetes.selector: is required",
        "services[0].kubernetes.address: 'PodIP' is not one of ExternalIP, Hostname, InternalIP"), service);
    assertEquals(List.of("services[0].nodes: is required"),
        errors(service("type: tcp", "").replace("    nodes:\n      - { name: copernicus, address: 127.0.0.2 }\n      - { name: galileo, address: 127.0.0.3 }\n", "")),
        "without discovery, static nodes are required");
  }

  @Test
  void hostileInputIsRefusedFastWithPlainWordsAndShortQuotes() throws Exception {
    assertEquals(List.of("services[0].probe.interval: '99999999999999999999s' is not a duration (write e.g. 250ms, 1.5s, 2m, 1h; at most 24h)"),
        errors(service("interval: 99999999999999999999s", "")), "a node never probed again is no valid config");
    assertEquals(List.of("services[0].probe.interval: '25h' is too long (at most 24h)"), errors(service("interval: 25h", "")));

    List<String> longName = errors(service("type: tcp", "").replace("name: rsync-ssh", "name: " + "x".repeat(10_000)));
    assertEquals(1, longName.size());
    assertTrue(longName.get(0).length() < 200 && longName.get(0).contains("xxx...'"), "a 10 KB name is cut: " + longName.get(0));

    Path directory = Files.createDirectories(dir.resolve("conf.d"));
    assertEquals(List.of("services[0].lb.file: " + directory + " is a directory; name the file the agent owns in it, e.g. "
        + directory.resolve("rsync-ssh.cfg")), errors(service("type: tcp", "").replace(dir + "/rsync.cfg", directory.toString())));

    Path big = Files.writeString(dir.resolve("big.yaml"), "# " + "x".repeat((int) ConfigLoader.MAX_CONFIG_BYTES) + "\n");
    ConfigException tooBig = assertThrows(ConfigException.class, () -> ConfigLoader.load(big));
    assertEquals(List.of("the file is " + Files.size(big) + " bytes; a config is at most 1 MiB"), tooBig.errors());

    Path latin1 = Files.write(dir.resolve("latin1.yaml"), "services: []\n# caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    assertEquals(List.of("the file is not UTF-8 text"), assertThrows(ConfigException.class, () -> ConfigLoader.load(latin1)).errors());
    assertEquals(List.of("cannot read the file: it does not exist"),
        assertThrows(ConfigException.class, () -> ConfigLoader.load(dir.resolve("none.yaml"))).errors());
    for (String e : List.of(tooBig.getMessage())) {
      assertFalse(e.contains("java."), "no Java class names: " + e);
    }
  }

  @Test
  void rejectsAMissingDirectoryForTheLbFile() {
    String yaml = service("type: tcp", "").replace(dir + "/rsync.cfg", dir + "/nowhere/rsync.cfg");
    assertEquals(List.of("services[0].lb.file: directory " + dir + "/nowhere does not exist"), errors(yaml));
  }

  @Test
  void rejectsDuplicateKeysAndBrokenYamlWithALine() {
    assertTrue(errors("services: []\nservices: []\n").get(0).contains("Duplicate field 'services'"));
    assertTrue(errors("services:\n  - name: [unclosed\n").get(0).matches("not valid YAML: .* \\(line 2, column \\d+\\)"));
    assertEquals(List.of("services: must name at least one service"), errors("services: []\n"));
  }

  @Test
  void demoMeasuresTheExampleConfigsTiming() throws Exception {
    ServiceConfig example = ConfigLoader.parse(Files.readString(Path.of("config/haproxy-seed.yaml"))
        .replace("/etc/haproxy/conf.d/", dir + "/"), "example").services().get(0);
    ServiceConfig demo = new dev.lbhealth.agent.demo.SeedScenario(null, dir, LbConfig.Kind.HAPROXY, 1, 9890)
        .agentConfig("all-nodes").services().get(0);
    assertEquals(example.probe(), demo.probe());
    assertEquals(example.coalesceMin(), demo.coalesceMin());
    assertEquals(example.coalesceMax(), demo.coalesceMax());
    assertEquals(example.whenEmpty(), demo.whenEmpty());
  }

  @Test
  void exampleConfigsInTheRepositoryAreValid() throws Exception {
    Path examples = Path.of("config");
    try (var files = Files.list(examples)) {
      List<Path> yamls = files.filter(p -> p.toString().endsWith(".yaml")).toList();
      assertTrue(!yamls.isEmpty(), "config/ has example configs");
      Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\n");
      for (Path p : yamls) {
        if (Files.readString(p).lines().anyMatch(l -> l.startsWith("apiVersion:"))) {
          continue; // a Kubernetes manifest (rbac.yaml), not an agent config
        }
        // The examples write under /etc/haproxy or /etc/nginx; point them at a folder that exists here.
        String text = Files.readString(p).replaceAll("/etc/(haproxy|nginx)/[a-z.]+/", dir + "/")
            .replace("config-root: /etc/nginx", "config-root: " + dir)
            .replace("/etc/lb-health-agent/kubeconfig", kubeconfig.toString());
        ConfigLoader.parse(text, p.toString());
      }
    }
  }
}
