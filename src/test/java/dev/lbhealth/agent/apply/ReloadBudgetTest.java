package dev.lbhealth.agent.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The token bucket behind lb.min-reload-interval. */
class ReloadBudgetTest {
  @Test
  void aPairGoesAtOnceThenOnePerInterval() {
    ReloadBudget budget = new ReloadBudget(Duration.ofHours(1)); // no refill within the test
    assertEquals(0, budget.holdMillis());
    budget.spend();
    assertEquals(0, budget.holdMillis(), "a pod move's second reload is not held");
    budget.spend();
    long hold = budget.holdMillis();
    assertTrue(hold > Duration.ofMinutes(59).toMillis() && hold <= Duration.ofHours(1).toMillis(), "then one per interval: " + hold);
  }

  @Test
  void noIntervalMeansNoBudget() {
    ReloadBudget none = new ReloadBudget(Duration.ZERO);
    for (int i = 0; i < 10; i++) {
      none.spend();
    }
    assertEquals(0, none.holdMillis());
  }
}
