package dev.lbhealth.agent.discovery;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.informers.cache.Store;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A read of a service's pods afresh (their metadata only, where the API can), with a deadline,
 * compared with the Pod informer's cache: how the view's freshness is measured, not assumed. The
 * answer is parsed and compared on a worker, so a list of thousands of pods never holds up the
 * event loop.
 */
final class PodRead {
  private final Vertx vertx;
  private final KubernetesClient client;
  private final String namespace;
  private final String selector;
  private final long deadlineMillis;

  PodRead(Vertx vertx, KubernetesClient client, String namespace, String selector, Duration deadline) {
    this.vertx = vertx;
    this.client = client;
    this.namespace = namespace;
    this.selector = selector;
    this.deadlineMillis = deadline.toMillis();
  }

  /**
   * Reads and compares; completes on {@code context} with null if the cache held what the API
   * listed, else how it is behind; fails with what went wrong, described for an operator.
   */
  Future<String> behind(Context context, Store<GenericKubernetesResource> cache) {
    String where = " in namespace " + namespace;
    String url = client.getMasterUrl().toString().replaceAll("/$", "") + "/api/v1/namespaces/" + namespace
        + "/pods?labelSelector=" + URLEncoder.encode(selector, StandardCharsets.UTF_8);
    HttpRequest request = client.getHttpClient().newHttpRequestBuilder().uri(url)
        .header("Accept", "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json")
        .timeout(deadlineMillis, TimeUnit.MILLISECONDS).build();
    Promise<String> answered = Promise.promise();
    client.getHttpClient().sendAsync(request, String.class).orTimeout(deadlineMillis, TimeUnit.MILLISECONDS)
        .whenComplete((response, failure) -> context.runOnContext(v -> {
          if (failure != null) {
            answered.fail(ApiCheck.describe(failure, "list", "pods", where));
          } else if (!response.isSuccessful()) {
            answered.fail(ApiCheck.describe(response.code(), statusMessage(response.body()), "list", "pods", where));
          } else {
            vertx.executeBlocking(() -> ApiCheck.behind(ApiCheck.listed(response.body()), cache.list()), false)
                .onComplete(compared -> context.runOnContext(w -> {
                  if (compared.succeeded()) {
                    answered.complete(compared.result());
                  } else {
                    answered.fail("the API's answer to a list of pods" + where + " is not a list: "
                        + ApiCheck.firstLine(compared.cause()));
                  }
                }));
          }
        }));
    return answered.future();
  }

  /** The message of the Status the API answers a failed request with, or null. */
  private String statusMessage(String body) {
    try {
      return client.getKubernetesSerialization().unmarshal(body, io.fabric8.kubernetes.api.model.Status.class).getMessage();
    } catch (RuntimeException e) {
      return null;
    }
  }
}
