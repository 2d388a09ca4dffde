package dev.lbhealth.agent.discovery;

import dev.lbhealth.agent.config.KubernetesConfig;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.client.vertx5.Vertx5HttpClientFactory;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;

/** Makes the agent's Kubernetes client, on the agent's own Vert.x. Blocking (reads files). */
public final class KubernetesClients {
  private KubernetesClients() {}

  public static KubernetesClient create(Vertx vertx, KubernetesConfig config) throws IOException {
    Config base = config.kubeconfig() != null
        ? Config.fromKubeconfig(Files.readString(config.kubeconfig()))
        : new ConfigBuilder(Config.empty())
            .withMasterUrl(config.server())
            .withOauthToken(Files.readString(config.tokenFile()).strip())
            .withCaCertFile(config.caFile() == null ? null : config.caFile().toString())
            .build();
    Config tuned = new ConfigBuilder(base)
        // A watch that breaks is re-opened within a second; an API that stays away is retried forever.
        .withWatchReconnectInterval(1_000)
        .withWatchReconnectLimit(-1)
        // No retries inside a request: the informers re-list and re-watch on their own, and the
        // freshness check reads again every check-interval; a refused connection is said at once.
        .withRequestRetryBackoffLimit(0)
        .withConnectionTimeout(5_000)
        .withRequestTimeout(10_000)
        .build();
    return new KubernetesClientBuilder().withConfig(tuned).withHttpClientFactory(new Vertx5HttpClientFactory(vertx))
        .withKubernetesSerialization(serialization()).build();
  }

  /**
   * Knows no kinds but the API's Status: the agent reads Pods and Nodes as generic resources
   * ({@link ClusterFacts}). fabric8's default looks up every resource class on the class path when
   * it starts: some 1,100 model classes of API groups the agent never reads.
   */
  static KubernetesSerialization serialization() {
    KubernetesSerialization serialization = new KubernetesSerialization(new tools.jackson.databind.ObjectMapper(), false);
    serialization.registerKubernetesResource(Status.class);
    return serialization;
  }
}
