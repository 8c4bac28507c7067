package io.longnet.compute;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NativeThreadEnvironmentTest {

    private static final Map<String, String> FINE = Map.of("OMP_WAIT_POLICY", "PASSIVE",
            "OPENBLAS_THREAD_TIMEOUT", "4");

    @Test
    void requiresPassiveOpenMpAndTheShortestOpenBlasTimeout() {
        assertThat(NativeThreadEnvironment.REQUIRED).containsExactly(Map.entry("OMP_WAIT_POLICY", "PASSIVE"),
                Map.entry("OPENBLAS_THREAD_TIMEOUT", "4"));
        assertThat(NativeThreadEnvironment.requiredAssignments())
                .isEqualTo("OMP_WAIT_POLICY=PASSIVE OPENBLAS_THREAD_TIMEOUT=4");
        assertThat(NativeThreadEnvironment.problems(NativeThreadEnvironment.REQUIRED)).isEmpty();
    }

    @Test
    void anEmptyEnvironmentHasOneProblemPerLibrary() {
        List<String> problems = NativeThreadEnvironment.problems(Map.of());

        assertThat(problems).containsExactly(
                "OMP_WAIT_POLICY is unset, wanted PASSIVE: libgomp's idle OpenMP workers then spin about 300,000 "
                        + "times (a few ms) after each ND4J op, taking the cores from the threads that run next.",
                "OPENBLAS_THREAD_TIMEOUT is unset, wanted 4: OpenBLAS's idle workers then spin 2^28 cycles (about "
                        + "0.1 s) after each gemm, taking the cores from the threads that run next.");
    }

    @Test
    void wrongValuesAreReportedWithTheirNameAndValue() {
        List<String> problems = NativeThreadEnvironment.problems(Map.of("OMP_WAIT_POLICY", "ACTIVE",
                "OPENBLAS_THREAD_TIMEOUT", "10"));

        assertThat(problems).containsExactly(
                "OMP_WAIT_POLICY=ACTIVE, wanted PASSIVE: libgomp's idle OpenMP workers then spin up to about 5 "
                        + "minutes after each ND4J op, taking the cores from the threads that run next.",
                "OPENBLAS_THREAD_TIMEOUT=10, wanted 4: OpenBLAS's idle workers then spin 2^10 cycles after each gemm "
                        + "instead of its minimum 2^4, taking the cores from the threads that run next.");
    }

    @Test
    void openMpIsReadAsLibgompReadsIt() {
        assertThat(ompProblem(Map.of("OMP_WAIT_POLICY", " passive "))).isEmpty();
        assertThat(ompProblem(Map.of("OMP_WAIT_POLICY", "sleepy")))
                .singleElement().asString().startsWith("OMP_WAIT_POLICY=sleepy is not a policy libgomp reads");
        assertThat(ompProblem(Map.of("OMP_WAIT_POLICY", ""))).singleElement().asString()
                .startsWith("OMP_WAIT_POLICY='' is not a policy libgomp reads (ACTIVE or PASSIVE), wanted PASSIVE");
        // GOMP_SPINCOUNT, when libgomp accepts it, overrides OMP_WAIT_POLICY either way
        assertThat(ompProblem(Map.of("GOMP_SPINCOUNT", "0"))).isEmpty();
        assertThat(ompProblem(Map.of("GOMP_SPINCOUNT", " 0k ", "OMP_WAIT_POLICY", "ACTIVE"))).isEmpty();
        assertThat(ompProblem(Map.of("GOMP_SPINCOUNT", "300000", "OMP_WAIT_POLICY", "PASSIVE")))
                .containsExactly("GOMP_SPINCOUNT=300000, wanted 0 or unset: it overrides OMP_WAIT_POLICY and makes "
                        + "libgomp's idle OpenMP workers spin that many times after each ND4J op, taking the cores "
                        + "from the threads that run next.");
        assertThat(ompProblem(Map.of("GOMP_SPINCOUNT", "Infinity", "OMP_WAIT_POLICY", "PASSIVE")))
                .singleElement().asString().startsWith("GOMP_SPINCOUNT=Infinity, wanted 0 or unset");
        // one libgomp rejects leaves OMP_WAIT_POLICY to decide
        assertThat(ompProblem(Map.of("GOMP_SPINCOUNT", "none", "OMP_WAIT_POLICY", "PASSIVE"))).isEmpty();
        assertThat(ompProblem(Map.of("GOMP_SPINCOUNT", "0x", "OMP_WAIT_POLICY", "ACTIVE")))
                .singleElement().asString().startsWith("OMP_WAIT_POLICY=ACTIVE, wanted PASSIVE");
        assertThat(ompProblem(Map.of("GOMP_SPINCOUNT", "0".repeat(5) + "18446744073709551616",
                "OMP_WAIT_POLICY", "PASSIVE"))).isEmpty(); // past 2^64 - 1: strtoull's ERANGE
    }

    @Test
    void openBlasTimeoutIsFineFromOneToFourAsAtoiReadsIt() {
        for (String fine : List.of("1", "3", "4", " 4", "+4", "4 cycles")) {
            assertThat(blasProblem(fine)).as(fine).isEmpty();
        }
        assertThat(blasProblem("5")).singleElement().asString().startsWith("OPENBLAS_THREAD_TIMEOUT=5, wanted 4: "
                + "OpenBLAS's idle workers then spin 2^5 cycles");
        assertThat(blasProblem("99")).singleElement().asString().contains("spin 2^30 cycles"); // OpenBLAS's clip
        assertThat(blasProblem("0")).containsExactly("OPENBLAS_THREAD_TIMEOUT=0, wanted 4: OpenBLAS reads it as 0, "
                + "which keeps its default of 2^28 cycles (about 0.1 s) of spinning by its idle workers after each "
                + "gemm, taking the cores from the threads that run next.");
        assertThat(blasProblem("-2")).singleElement().asString()
                .startsWith("OPENBLAS_THREAD_TIMEOUT=-2, wanted 4: OpenBLAS reads it as -2, which keeps its default");
        assertThat(blasProblem("four")).singleElement().asString()
                .startsWith("OPENBLAS_THREAD_TIMEOUT=four, wanted 4: OpenBLAS reads it as 0");
    }

    @Test
    void atoiStopsAtTheFirstNonDigit() {
        assertThat(NativeThreadEnvironment.atoi(" \t-12x")).isEqualTo(-12);
        assertThat(NativeThreadEnvironment.atoi("")).isZero();
        assertThat(NativeThreadEnvironment.atoi("99999999999999")).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void describeNamesEachVariableAndItsValue() {
        assertThat(NativeThreadEnvironment.describe(FINE)).isEqualTo("OMP_WAIT_POLICY=PASSIVE OPENBLAS_THREAD_TIMEOUT=4");
        assertThat(NativeThreadEnvironment.describe(Map.of()))
                .isEqualTo("OMP_WAIT_POLICY unset OPENBLAS_THREAD_TIMEOUT unset");
        assertThat(NativeThreadEnvironment.describe(Map.of("GOMP_SPINCOUNT", "0", "OPENBLAS_THREAD_TIMEOUT", "a b")))
                .isEqualTo("OMP_WAIT_POLICY unset GOMP_SPINCOUNT=0 OPENBLAS_THREAD_TIMEOUT='a b'");
    }

    @Test
    void addMissingKeepsTheUsersValues() {
        Map<String, String> env = new HashMap<>(Map.of("OMP_WAIT_POLICY", "ACTIVE", "PATH", "/bin"));

        NativeThreadEnvironment.addMissing(env);

        assertThat(env).containsOnly(Map.entry("OMP_WAIT_POLICY", "ACTIVE"), Map.entry("PATH", "/bin"),
                Map.entry("OPENBLAS_THREAD_TIMEOUT", "4"));
    }

    @Test
    void warnsOnlyWhenThereAreWorkerThreadsToSpin() {
        Map<String, String> spinning = Map.of("OPENBLAS_THREAD_TIMEOUT", "4");

        assertThat(NativeThreadEnvironment.warning(1, spinning)).isEmpty();
        assertThat(NativeThreadEnvironment.warning(2, FINE)).isEmpty();
        assertThat(NativeThreadEnvironment.warning(2, spinning)).get().asString()
                .contains("the 2 compute threads", "OMP_WAIT_POLICY is unset, wanted PASSIVE",
                        "Set OMP_WAIT_POLICY=PASSIVE OPENBLAS_THREAD_TIMEOUT=4 in the TaskManager's environment")
                .doesNotContain("OPENBLAS_THREAD_TIMEOUT is unset");
    }

    private static List<String> ompProblem(Map<String, String> openMp) {
        Map<String, String> env = new HashMap<>(openMp);
        env.put("OPENBLAS_THREAD_TIMEOUT", "4");
        return NativeThreadEnvironment.problems(env);
    }

    private static List<String> blasProblem(String timeout) {
        return NativeThreadEnvironment.problems(Map.of("OMP_WAIT_POLICY", "PASSIVE", "OPENBLAS_THREAD_TIMEOUT", timeout));
    }
}
