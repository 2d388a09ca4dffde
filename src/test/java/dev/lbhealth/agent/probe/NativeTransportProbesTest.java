package dev.lbhealth.agent.probe;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.BeforeEach;

/** The same probes on Netty's native epoll transport, which the agent runs on where it loads. */
class NativeTransportProbesTest extends ProbesTest {
  @Override
  Vertx newVertx() {
    return Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
  }

  @BeforeEach
  void onEpoll() {
    assertTrue(vertx().isNativeTransportEnabled(), "the native transport loads on this machine: " + vertx().unavailableNativeTransportCause());
    assertTrue(new ConnectProbe(vertx(), null).onEpoll(), "tcp probes go through raw epoll registrations");
  }
}
