package dev.lbhealth.agent.discovery;

import dev.lbhealth.agent.demo.FakeCluster;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** config/rbac.yaml grants what the agent reads and nothing more, and a cluster takes it. */
class RbacManifestTest {
  @Test
  void grantsReadOnPodsAndNodesOnlyToTheAgentsAccountAndApplies() throws Exception {
    try (FakeCluster cluster = new FakeCluster(); InputStream yaml = Files.newInputStream(Path.of("config/rbac.yaml"))) {
      List<HasMetadata> items = cluster.client().load(yaml).items();
      assertEquals(List.of("ServiceAccount", "Secret", "ClusterRole", "ClusterRoleBinding"),
          items.stream().map(HasMetadata::getKind).toList());

      ClusterRole role = (ClusterRole) items.get(2);
      Set<String> verbs = new TreeSet<>();
      Set<String> resources = new TreeSet<>();
      for (PolicyRule rule : role.getRules()) {
        assertEquals(List.of(""), rule.getApiGroups(), "core API group only");
        verbs.addAll(rule.getVerbs());
        resources.addAll(rule.getResources());
      }
      assertEquals(Set.of("get", "list", "watch"), verbs);
      assertEquals(Set.of("nodes", "pods"), resources);

      ClusterRoleBinding binding = (ClusterRoleBinding) items.get(3);
      assertEquals("lb-health-agent", binding.getRoleRef().getName());
      assertEquals("lb-health-agent", binding.getSubjects().get(0).getName());
      assertEquals("kube-system", binding.getSubjects().get(0).getNamespace());

      cluster.client().resourceList(items).create(); // what kubectl apply does on a fresh cluster
      assertEquals(1, cluster.client().rbac().clusterRoles().list().getItems().size());
    }
  }
}
