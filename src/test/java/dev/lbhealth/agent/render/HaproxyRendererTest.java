package dev.lbhealth.agent.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lbhealth.agent.config.ConfigLoader;
import dev.lbhealth.agent.config.ServiceConfig;
import dev.lbhealth.agent.decision.ServerSet;
import dev.lbhealth.agent.discovery.StaticBackendSource;
import dev.lbhealth.agent.discovery.Target;
import java.util.List;
import org.junit.jupiter.api.Test;

class HaproxyRendererTest {
  static ServiceConfig seedService() throws Exception {
    return ConfigLoader.parse("""
        services:
          - name: rsync-ssh
            port: 9890
            probe: { type: tcp }
            nodes:
              - { name: copernicus, address: 127.0.0.2 }
              - { name: galileo, address: 127.0.0.3 }
              - { name: newton, address: "::1" }
            lb: { file: /tmp/rsync-ssh.cfg, upstream: k3s_rsync }
        """, "test").services().get(0);
  }

  @Test
  void rendersEveryNodeAndDisablesThoseOutOfRotation() throws Exception {
    ServiceConfig service = seedService();
    List<Target> all = new StaticBackendSource().targets(service);
    String text = new HaproxyRenderer().render(service, ServerSet.of(all, List.of(all.get(1)), "healthy"));
    assertEquals("""
        # Managed by lb-health-agent for service rsync-ssh. Changes made here are overwritten.
        backend k3s_rsync
            mode tcp
            balance roundrobin
            option redispatch 1
            retries 2
            server copernicus 127.0.0.2:9890 disabled
            server galileo 127.0.0.3:9890
            server newton [::1]:9890 disabled
        """, text);
  }

  @Test
  void refusesANodeNameThatCouldInjectConfig() throws Exception {
    ServiceConfig service = seedService();
    Target evil = new Target("rsync-ssh", "x\n    server evil 127.0.0.9:22", "127.0.0.2", 9890);
    ServerSet set = ServerSet.of(List.of(evil), List.of(evil), "healthy");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new HaproxyRenderer().render(service, set));
    assertEquals("node 'x\n    server evil 127.0.0.9:22' is not safe to render", e.getMessage());
  }
}
