package dev.lbhealth.agent.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lbhealth.agent.discovery.Restarts.Kind;
import dev.lbhealth.agent.discovery.Restarts.Seen;
import org.junit.jupiter.api.Test;

/** When a service's informers are started afresh, read by read: the decisions the lapse tests drive end to end. */
class RestartsTest {
  private static final Seen FINE = new Seen(true, true, true, "100");
  private final Restarts restarts = new Restarts();

  @Test
  void aReadThatAgreesConfirmsTheView() {
    assertEquals(Kind.CONFIRMED, restarts.answered(1, FINE, null, true).kind());
  }

  @Test
  void afterReadsThatFailedTheNextAnswerRestartsAndTheNodesTooIfStartedByTheLastFailure() {
    restarts.failed(10);
    restarts.failed(20);
    Restarts.Verdict v = restarts.answered(30, FINE, null, true);
    assertEquals(Kind.RESTART, v.kind());
    assertEquals("the API answers again after it did not", v.why());
    assertEquals(20, v.nodesStartedBy(), "a Node informer started after the last failed read is fresh already");
    assertEquals(Kind.CONFIRMED, restarts.answered(40, FINE, null, true).kind(), "once");
  }

  @Test
  void informersThatStayBehindRestartAfterTwoReadsThenAtWiderSpacing() {
    Seen stuck = new Seen(true, true, true, "100");
    assertEquals(Kind.WAIT, restarts.answered(1, stuck, "behind the API", true).kind(), "version 100 is news at the first look");
    assertEquals(Kind.WAIT, restarts.answered(2, stuck, "behind the API", true).kind(), "behind, and nothing delivered since");
    Restarts.Verdict v = restarts.answered(3, stuck, "behind the API", true);
    assertEquals(Kind.RESTART, v.kind(), "two reads in a row");
    assertEquals(Long.MIN_VALUE, v.nodesStartedBy(), "the pods are behind; the shared nodes are fine");
    for (int read = 4; read < 7; read++) {
      assertEquals(Kind.WAIT, restarts.answered(read, stuck, "behind the API", true).kind(), "read " + read);
    }
    assertEquals(Kind.RESTART, restarts.answered(7, stuck, "behind the API", true).kind(), "then four reads in a row");
  }

  @Test
  void aWatchThatLagsButDeliversIsLeftAlone() {
    for (int read = 1; read < 10; read++) {
      Seen lagging = new Seen(true, true, true, String.valueOf(100 + read));
      assertEquals(Kind.WAIT, restarts.answered(read, lagging, "behind the API", true).kind(), "read " + read);
    }
  }

  @Test
  void nodesThatDoNotWatchAreStartedAfreshWithThePods() {
    Seen nodesDeaf = new Seen(true, false, true, "100");
    restarts.answered(1, nodesDeaf, null, true);
    Restarts.Verdict v = restarts.answered(7, nodesDeaf, null, true);
    assertEquals(Kind.RESTART, v.kind());
    assertEquals("the API answers, but the informers are not watching", v.why());
    assertEquals(7, v.nodesStartedBy(), "unless another service started them afresh since this read began");
  }
}
