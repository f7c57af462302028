package dev.metering.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EdgeOverheadBenchTest {

    @ParameterizedTest(name = "{0} routes")
    @ValueSource(ints = {2, 3, 4, 5, 6})
    void overTwiceAsManyRoundsAsRoutesEveryRouteTakesEachPlaceAndFollowsEachOtherRouteTwice(int n) {
        int[][] placed = new int[n][n];
        int[][] followed = new int[n][n];
        for (int round = 0; round < 2 * n; round++) {
            Set<Integer> inRound = new HashSet<>();
            int previous = -1;
            for (int turn = 0; turn < n; turn++) {
                int route = EdgeOverheadBench.place(round, turn, n);
                assertThat(route).isBetween(0, n - 1);
                inRound.add(route);
                placed[route][turn]++;
                if (previous >= 0) {
                    followed[previous][route]++;
                }
                previous = route;
            }
            assertThat(inRound).as("round %d runs every route once", round).hasSize(n);
        }
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                assertThat(placed[a][b]).as("route %d in place %d", a, b).isEqualTo(2);
                assertThat(followed[a][b]).as("route %d followed by route %d", a, b).isEqualTo(a == b ? 0 : 2);
            }
        }
    }

    @ParameterizedTest(name = "{0} routes")
    @ValueSource(ints = {3, 5})
    void theOrderRepeatsEveryTwiceAsManyRoundsAsRoutes(int n) {
        for (int round = 0; round < 2 * n; round++) {
            for (int turn = 0; turn < n; turn++) {
                assertThat(EdgeOverheadBench.place(round + 2 * n, turn, n)).isEqualTo(EdgeOverheadBench.place(round, turn, n));
            }
        }
    }
}
