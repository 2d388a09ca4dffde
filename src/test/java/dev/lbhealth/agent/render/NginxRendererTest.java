package dev.lbhealth.agent.render;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.discovery.StaticBackendSource;
import dev.lbhealth.agent.discovery.Target;
import java.util.List;
import org.junit.jupiter.api.Test;

class NginxRendererTest {
  private static ServiceConfig service(String mode, String listen) throws Exception {
    return ConfigLoader.parse("""
        services:
          - name: rsync-ssh
            port: 9890
            mode: %s
            probe: { type: tcp }
            nodes:
              - { name: copernicus, address: 127.0.0.2 }
              - { name: galileo, address: 127.0.0.3 }
            lb: { kind: nginx, file: /tmp/rsync-ssh.conf, config-root: /tmp %s }
        """.formatted(mode, listen == null ? "" : ", listen: \"" + listen + "\""), "test").services().get(0);
  }

  private static ServerSet set(ServiceConfig s, int... active) {
    List<Target> all = new StaticBackendSource().targets(s);
    return ServerSet.of(all, java.util.Arrays.stream(active).mapToObj(all::get).toList(), ServerSet.HEALTHY);
  }

  @Test
  void withNoHealthyNodeTheServersKeptInRotationAreTriedOnEveryConnection() throws Exception {
    // when-empty all-nodes: nginx must not skip a node for a refusal during the gap, or a pod that
    // starts listening there waits for the next reload.
    ServiceConfig s = service("tcp", null);
    List<Target> all = new StaticBackendSource().targets(s);
    String out = new NginxRenderer().render(s, dev.lbhealth.agent.decision.Decision.desired(all, t -> dev.lbhealth.agent.health.Health.DOWN,
        ServiceConfig.WhenEmpty.ALL_NODES, null));
    assertEquals(List.of("    server 127.0.0.2:9890 max_fails=0; # copernicus", "    server 127.0.0.3:9890 max_fails=0; # galileo"),
        out.lines().filter(l -> l.startsWith("    server ")).toList());
  }

  @Test
  void streamUpstreamWithItsProxyServer() throws Exception {
    ServiceConfig s = service("tcp", "127.0.0.1:30036");
    assertEquals("""
        # Managed by lb-health-agent for service rsync-ssh. Changes made here are overwritten.
        # Include it in nginx's stream {} block.
        upstream rsync-ssh {
            server 127.0.0.2:9890 max_fails=1 fail_timeout=2s; # copernicus
            server 127.0.0.3:9890 down; # galileo
        }
        server {
            listen 127.0.0.1:30036;
            proxy_pass rsync-ssh;
            proxy_connect_timeout 1s;
            proxy_next_upstream on;
            proxy_next_upstream_tries 2;
        }
        """, new NginxRenderer().render(s, set(s, 0)));
  }

  @Test
  void emptySetKeepsEveryServerMarkedDownSoTheUpstreamIsNeverEmpty() throws Exception {
    ServiceConfig s = service("http", null);
    assertEquals("""
        # Managed by lb-health-agent for service rsync-ssh. Changes made here are overwritten.
        # Include it in nginx's http {} block.
        upstream rsync-ssh {
            server 127.0.0.2:9890 down; # copernicus
            server 127.0.0.3:9890 down; # galileo
        }
        """, new NginxRenderer().render(s, set(s)));
  }

  @Test
  void httpProxyServerRetriesOnlyConnectFailures() throws Exception {
    ServiceConfig s = service("http", "8080");
    String text = new NginxRenderer().render(s, set(s, 0, 1));
    assertEquals(true, text.endsWith("""
        server {
            listen 8080;
            location / {
                proxy_pass http://rsync-ssh;
                proxy_connect_timeout 1s;
                proxy_next_upstream error timeout;
                proxy_next_upstream_tries 2;
            }
        }
        """), text);
  }
}
