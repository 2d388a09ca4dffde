package dev.lbhealth.agent.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** What a fresh read of the API means for the watched cache, and failures in words. */
class ApiCheckTest {
  private static Pod cached(String name, String version) {
    return new PodBuilder().withNewMetadata().withNamespace("default").withName(name).withResourceVersion(version).endMetadata().build();
  }

  @Test
  void readsTheItemsMetadataFromAMetadataOnlyListAndFromAWholePodList() throws IOException {
    String metadataOnly = """
        {"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"120"},
         "items":[{"metadata":{"name":"rsyncer-1","namespace":"default","resourceVersion":"117","labels":{"name":"x"}}}]}""";
    assertEquals(new ApiCheck.Listed("120", Map.of("default/rsyncer-1", "117")), ApiCheck.listed(metadataOnly));
    String whole = """
        {"kind":"PodList","metadata":{"resourceVersion":"9"},"items":[
          {"spec":{"containers":[{"name":"c","ports":[{"hostPort":9890}]}]},"metadata":{"namespace":"default","name":"a","resourceVersion":"7"},
           "status":{"conditions":[{"type":"Ready","status":"True"}]}},
          {"metadata":{"namespace":"default","name":"b","resourceVersion":"8","annotations":{"metadata":"{}"}}}]}""";
    assertEquals(new ApiCheck.Listed("9", Map.of("default/a", "7", "default/b", "8")), ApiCheck.listed(whole));
    assertThrows(IOException.class, () -> ApiCheck.listed("{\"kind\":\"Status\",\"code\":500}"));
    assertThrows(IOException.class, () -> ApiCheck.listed("<html>proxy error</html>"));
  }

  @Test
  void theCacheIsBehindOnlyWhenItLacksWhatTheListShowedBeforeIt() {
    ApiCheck.Listed listed = new ApiCheck.Listed("20", Map.of("default/a", "10", "default/b", "15"));
    assertNull(ApiCheck.behind(listed, List.of(cached("a", "10"), cached("b", "15"))));
    assertNull(ApiCheck.behind(listed, List.of(cached("a", "12"), cached("b", "15"))), "the cache saw a newer version");
    assertNull(ApiCheck.behind(listed, List.of(cached("a", "10"), cached("b", "15"), cached("c", "21"))),
        "a pod made after the list");
    assertEquals("behind the API (pod default/b seen at version 14, the API has 15)",
        ApiCheck.behind(listed, List.of(cached("a", "10"), cached("b", "14"))));
    assertEquals("behind the API (pod default/b not seen)", ApiCheck.behind(listed, List.of(cached("a", "10"))));
    assertEquals("behind the API (pod default/c is gone)",
        ApiCheck.behind(listed, List.of(cached("a", "10"), cached("b", "15"), cached("c", "19"))));
  }

  @Test
  void failuresAreSaidWithVerbResourceAndWhatToDo() {
    KubernetesClientException forbidden = new KubernetesClientException(new StatusBuilder().withCode(403)
        .withMessage("pods is forbidden: User \"system:serviceaccount:kube-system:lb-health-agent\" cannot watch resource \"pods\"").build());
    assertEquals("forbidden: cannot watch pods in namespace default (HTTP 403: pods is forbidden: User "
        + "\"system:serviceaccount:kube-system:lb-health-agent\" c...; the agent's account needs get, list and watch"
        + " on pods and nodes, see config/rbac.yaml)",
        ApiCheck.describe(new CompletionException(forbidden), "watch", "pods", " in namespace default"));
    assertEquals("no answer in time to a list of pods in namespace default",
        ApiCheck.describe(new TimeoutException(), "list", "pods", " in namespace default"));
    assertEquals("the list of pods in namespace default expired (HTTP 410 Gone: too old resource version: 5); listing afresh",
        ApiCheck.describe(410, "too old resource version: 5", "list", "pods", " in namespace default"));
    assertEquals("node a left out; node b left out; node c left out; node d left out; node e left out; and 2 more",
        ApiCheck.bounded(List.of("node a left out", "node b left out", "node c left out", "node d left out",
            "node e left out", "node f left out", "node g left out")));
  }
}
