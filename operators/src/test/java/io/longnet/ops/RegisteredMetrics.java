package io.longnet.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobID;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.clusterframework.types.ResourceID;
import org.apache.flink.runtime.executiongraph.ExecutionAttemptID;
import org.apache.flink.runtime.metrics.groups.TaskManagerMetricGroup;
import org.apache.flink.runtime.metrics.groups.TaskMetricGroup;
import org.apache.flink.runtime.metrics.util.TestingMetricRegistry;

/**
 * A task metric group whose registry remembers every metric registered under it, in sub-groups too, with the
 * variables a reporter would label it with ({@code <stream>} -> {@code news}).
 */
final class RegisteredMetrics {

    private record Registered(String name, Map<String, String> variables, Metric metric) {
    }

    private final List<Registered> registered = new ArrayList<>();
    final TaskMetricGroup task;

    RegisteredMetrics() {
        TestingMetricRegistry registry = TestingMetricRegistry.builder()
                .setRegisterConsumer((metric, name, group) -> registered.add(
                        new Registered(name, group.getAllVariables(), metric)))
                .build();
        task = TaskManagerMetricGroup.createTaskManagerMetricGroup(registry, "localhost", ResourceID.generate())
                .addJob(new JobID(), "job").addTask(ExecutionAttemptID.randomId(), "task");
    }

    /** The counter {@code name} registered in the group {@code key=value}; fails if there is none. */
    long counter(String name, String key, String value) {
        return registered.stream()
                .filter(r -> r.name().equals(name) && value.equals(r.variables().get("<" + key + ">")))
                .map(r -> ((Counter) r.metric()).getCount())
                .findFirst().orElseThrow(() -> new AssertionError("no counter " + name + " in group " + key + "="
                        + value + " was registered"));
    }

    /** How many metrics named {@code name} are in a group with the variable {@code key}. */
    long count(String name, String key) {
        return registered.stream().filter(r -> r.name().equals(name) && r.variables().containsKey("<" + key + ">"))
                .count();
    }
}
