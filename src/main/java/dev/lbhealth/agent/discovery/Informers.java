package dev.lbhealth.agent.discovery;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.function.Consumer;

/** What the agent's informers (the shared nodes', each service's pods') are told to do with what they get. */
final class Informers {
  private Informers() {}

  /**
   * Each add, update and delete marks the object (by its cache key) for the next view, then says
   * something changed; on the informer's thread.
   */
  static void onChange(SharedIndexInformer<GenericKubernetesResource> informer, Consumer<String> mark, Runnable changed) {
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(GenericKubernetesResource obj) {
        changed(obj);
      }

      @Override
      public void onUpdate(GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
        changed(newObj);
      }

      @Override
      public void onDelete(GenericKubernetesResource obj, boolean deletedFinalStateUnknown) {
        changed(obj);
      }

      private void changed(GenericKubernetesResource obj) {
        mark.accept(Cache.metaNamespaceKeyFunc(obj));
        changed.run();
      }
    });
  }

  /**
   * A failed list or watch is described (verb, resource, where, HTTP status) to {@code trouble},
   * and the informer keeps trying: the API coming back is the normal end of an outage.
   */
  static void onTrouble(SharedIndexInformer<?> informer, String resource, String where, Consumer<String> trouble) {
    informer.exceptionHandler((started, t) -> {
      trouble.accept(ApiCheck.describe(t, started ? "watch" : "list", resource, where));
      return true;
    });
  }

  /** Stops the informer on a worker (stopping waits for its threads); nothing if it is null. */
  static Future<Void> stop(Vertx vertx, SharedIndexInformer<?> informer) {
    return informer == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
      informer.stop();
      return null;
    }, false);
  }
}
