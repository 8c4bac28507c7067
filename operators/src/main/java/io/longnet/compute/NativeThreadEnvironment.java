package io.longnet.compute;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The environment variables that decide whether ND4J's native worker threads busy-wait between ops. After each
 * op, libgomp's OpenMP workers (ND4J's element-wise ops and reductions) and OpenBLAS's workers (the gemms) spin
 * before they sleep, and while they spin they hold cores the threads of the next op need: the Java attention
 * kernel's, the other library's, the caller's. On a 2-core machine a 4-layer E=256 decoder over 4096 tokens took
 * 1.92 s with the libraries' defaults and 0.76 s with {@link #REQUIRED}. The libraries read the variables once, when
 * they load, so they must be in the environment of the JVM (a TaskManager's, {@code ./longnet}'s); a running JVM
 * cannot set them. With one compute thread there are no workers and nothing spins.
 *
 * <p>What counts as fine, as the libraries read the variables:
 * <ul>
 *   <li>OpenMP (libgomp): {@code GOMP_SPINCOUNT}, when set to a spin count libgomp accepts, decides alone and must
 *       be 0; otherwise {@code OMP_WAIT_POLICY} must be {@code PASSIVE} (any case; unset means about 300,000
 *       spins, a few ms, and {@code ACTIVE} about 5 minutes' worth).</li>
 *   <li>OpenBLAS: {@code OPENBLAS_THREAD_TIMEOUT} as C's {@code atoi} reads it must be in [1, 4]. OpenBLAS clips
 *       a positive value to [4, 30] and spins 2^value cycles; 0, a negative value or one that is not a number
 *       leaves its default, 2^28 cycles (about 0.1 s).</li>
 * </ul>
 */
public final class NativeThreadEnvironment {

    public static final String OMP_WAIT_POLICY = "OMP_WAIT_POLICY";
    public static final String GOMP_SPINCOUNT = "GOMP_SPINCOUNT";
    public static final String OPENBLAS_THREAD_TIMEOUT = "OPENBLAS_THREAD_TIMEOUT";

    /** The values launchers set (unless the user set them): idle native workers sleep at once. */
    public static final Map<String, String> REQUIRED = ordered(OMP_WAIT_POLICY, "PASSIVE", OPENBLAS_THREAD_TIMEOUT, "4");

    /** OpenBLAS's clip of a positive {@code OPENBLAS_THREAD_TIMEOUT}, and its own exponent when unset. */
    static final int OPENBLAS_MIN_TIMEOUT = 4;
    static final int OPENBLAS_MAX_TIMEOUT = 30;
    static final int OPENBLAS_DEFAULT_TIMEOUT = 28;

    private static final String COST = "taking the cores from the threads that run next";
    private static final Pattern SPIN_COUNT = Pattern.compile("\\s*[+-]?(\\d+)\\s*(?:[kKmMgGtT]\\s*)?");
    private static final Pattern INFINITE = Pattern.compile("\\s*(?i:infinite|infinity)\\s*");
    private static final BigInteger MAX_UNSIGNED_LONG = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private NativeThreadEnvironment() {
    }

    /**
     * What in {@code env} lets native workers spin, one sentence per variable naming its value, the value wanted
     * and why; empty when nothing spins.
     */
    public static List<String> problems(Map<String, String> env) {
        List<String> problems = new ArrayList<>();
        openMpProblem(env).ifPresent(problems::add);
        openBlasProblem(env.get(OPENBLAS_THREAD_TIMEOUT)).ifPresent(problems::add);
        return problems;
    }

    /**
     * The variables as {@code env} has them, e.g. {@code OMP_WAIT_POLICY=PASSIVE OPENBLAS_THREAD_TIMEOUT=4} or
     * {@code OMP_WAIT_POLICY unset OPENBLAS_THREAD_TIMEOUT unset}; {@code GOMP_SPINCOUNT} only when set.
     */
    public static String describe(Map<String, String> env) {
        List<String> parts = new ArrayList<>();
        for (String name : List.of(OMP_WAIT_POLICY, GOMP_SPINCOUNT, OPENBLAS_THREAD_TIMEOUT)) {
            String value = env.get(name);
            if (value != null) {
                parts.add(assignment(name, value));
            } else if (!name.equals(GOMP_SPINCOUNT)) {
                parts.add(name + " unset");
            }
        }
        return String.join(" ", parts);
    }

    /**
     * Puts each {@link #REQUIRED} variable that {@code environment} lacks (a child process's, e.g.
     * {@link ProcessBuilder#environment()}); a value already there is the user's choice and stays.
     */
    public static void addMissing(Map<String, String> environment) {
        REQUIRED.forEach(environment::putIfAbsent);
    }

    /** {@link #REQUIRED} as shell assignments: {@code OMP_WAIT_POLICY=PASSIVE OPENBLAS_THREAD_TIMEOUT=4}. */
    public static String requiredAssignments() {
        return REQUIRED.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(" "));
    }

    /** The warning for a process that runs {@code threads} compute threads in {@code env}, if it needs one. */
    static Optional<String> warning(int threads, Map<String, String> env) {
        List<String> problems = problems(env);
        if (threads <= 1 || problems.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("ND4J's native worker threads busy-wait after each op and take the cores from the "
                + threads + " compute threads (on 2 cores a 4-layer E=256 decoder over 4096 tokens ran 2.5x slower): "
                + String.join(" ", problems) + " Set " + requiredAssignments() + " in the TaskManager's environment "
                + "(the native libraries read it when they load: export it where the TaskManager is started, or "
                + "containerized.taskmanager.env.* on Kubernetes and YARN).");
    }

    private static Optional<String> openMpProblem(Map<String, String> env) {
        String spinCount = env.get(GOMP_SPINCOUNT);
        if (spinCount != null) {
            switch (spinCount(spinCount)) { // one libgomp accepts decides, whatever OMP_WAIT_POLICY says
                case ZERO -> {
                    return Optional.empty();
                }
                case SPINS -> {
                    return Optional.of(assignment(GOMP_SPINCOUNT, spinCount) + ", wanted 0 or unset: it overrides "
                            + OMP_WAIT_POLICY + " and makes libgomp's idle OpenMP workers spin that many times after "
                            + "each ND4J op, " + COST + ".");
                }
                case REJECTED -> {
                    // libgomp reports it and goes by OMP_WAIT_POLICY
                }
            }
        }
        String policy = env.get(OMP_WAIT_POLICY);
        if (policy == null) {
            return Optional.of(OMP_WAIT_POLICY + " is unset, wanted PASSIVE: libgomp's idle OpenMP workers then spin "
                    + "about 300,000 times (a few ms) after each ND4J op, " + COST + ".");
        }
        String trimmed = policy.trim();
        if (trimmed.equalsIgnoreCase("passive")) {
            return Optional.empty();
        }
        if (trimmed.equalsIgnoreCase("active")) {
            return Optional.of(assignment(OMP_WAIT_POLICY, policy) + ", wanted PASSIVE: libgomp's idle OpenMP workers "
                    + "then spin up to about 5 minutes after each ND4J op, " + COST + ".");
        }
        return Optional.of(assignment(OMP_WAIT_POLICY, policy) + " is not a policy libgomp reads (ACTIVE or PASSIVE), "
                + "wanted PASSIVE: libgomp ignores it and its idle OpenMP workers spin a few ms after each ND4J op, "
                + COST + ".");
    }

    private static Optional<String> openBlasProblem(String timeout) {
        if (timeout == null) {
            return Optional.of(OPENBLAS_THREAD_TIMEOUT + " is unset, wanted 4: OpenBLAS's idle workers then spin 2^"
                    + OPENBLAS_DEFAULT_TIMEOUT + " cycles (about 0.1 s) after each gemm, " + COST + ".");
        }
        int read = atoi(timeout);
        if (read >= 1 && read <= OPENBLAS_MIN_TIMEOUT) {
            return Optional.empty();
        }
        if (read < 1) {
            return Optional.of(assignment(OPENBLAS_THREAD_TIMEOUT, timeout) + ", wanted 4: OpenBLAS reads it as "
                    + read + ", which keeps its default of 2^" + OPENBLAS_DEFAULT_TIMEOUT + " cycles (about 0.1 s) "
                    + "of spinning by its idle workers after each gemm, " + COST + ".");
        }
        return Optional.of(assignment(OPENBLAS_THREAD_TIMEOUT, timeout) + ", wanted 4: OpenBLAS's idle workers then "
                + "spin 2^" + Math.min(read, OPENBLAS_MAX_TIMEOUT) + " cycles after each gemm instead of its minimum 2^"
                + OPENBLAS_MIN_TIMEOUT + ", " + COST + ".");
    }

    /** What libgomp makes of a {@code GOMP_SPINCOUNT}: a count ({@code strtoull}, then k/M/G/T) or INFINITE. */
    private enum SpinCount { ZERO, SPINS, REJECTED }

    private static SpinCount spinCount(String value) {
        if (INFINITE.matcher(value).matches()) {
            return SpinCount.SPINS;
        }
        Matcher m = SPIN_COUNT.matcher(value);
        if (!m.matches() || new BigInteger(m.group(1)).compareTo(MAX_UNSIGNED_LONG) > 0) {
            return SpinCount.REJECTED;
        }
        return new BigInteger(m.group(1)).signum() == 0 ? SpinCount.ZERO : SpinCount.SPINS;
    }

    /** C's {@code atoi}, as OpenBLAS reads its variables: leading blanks, a sign, digits, the rest ignored. */
    static int atoi(String value) {
        int i = 0;
        while (i < value.length() && isCSpace(value.charAt(i))) {
            i++;
        }
        boolean negative = false;
        if (i < value.length() && (value.charAt(i) == '+' || value.charAt(i) == '-')) {
            negative = value.charAt(i) == '-';
            i++;
        }
        long magnitude = 0;
        for (; i < value.length() && value.charAt(i) >= '0' && value.charAt(i) <= '9'; i++) {
            magnitude = Math.min(Integer.MAX_VALUE, magnitude * 10 + (value.charAt(i) - '0'));
        }
        return (int) (negative ? -magnitude : magnitude);
    }

    private static boolean isCSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    /** {@code NAME=value}, the value quoted when it is empty or holds anything but letters, digits and {@code +-.}. */
    private static String assignment(String name, String value) {
        return name + "=" + (value.matches("[A-Za-z0-9+.-]+") ? value : "'" + value + "'");
    }

    private static Map<String, String> ordered(String... keysAndValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return Collections.unmodifiableMap(map);
    }
}
