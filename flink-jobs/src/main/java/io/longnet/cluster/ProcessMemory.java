package io.longnet.cluster;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;

/**
 * What Flink's start scripts compute before they start a JobManager or TaskManager JVM, computed the same way
 * (Flink's own memory model, from the configuration file plus the process's settings): the JVM options (heap,
 * direct and metaspace sizes, then {@code env.java.*}) and the memory settings the process is told.
 */
final class ProcessMemory {

    /** JVM options and process arguments ({@code -D key=value ...}) of one process. */
    record Launch(List<String> jvmOptions, List<String> dynamicSettings) {
    }

    private ProcessMemory() {
    }

    static Launch jobManager(Path confDir, Map<String, String> settings) {
        Configuration conf = load(confDir, settings);
        JobManagerProcessSpec spec = JobManagerProcessUtils.processSpecFromConfig(conf);
        List<String> jvm = new ArrayList<>(split(JobManagerProcessUtils.generateJvmParametersStr(spec, conf)));
        jvm.addAll(javaOptions(conf, CoreOptions.FLINK_JM_JVM_OPTIONS.key()));
        return new Launch(jvm, split(JobManagerProcessUtils.generateDynamicConfigsStr(spec)));
    }

    static Launch taskManager(Path confDir, Map<String, String> settings) {
        Configuration conf = load(confDir, settings);
        TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(conf);
        List<String> jvm = new ArrayList<>(split(ProcessMemoryUtils.generateJvmParametersStr(spec)));
        jvm.addAll(javaOptions(conf, CoreOptions.FLINK_TM_JVM_OPTIONS.key()));
        return new Launch(jvm, split(TaskExecutorProcessUtils.generateDynamicConfigsStr(spec)));
    }

    private static Configuration load(Path confDir, Map<String, String> settings) {
        return GlobalConfiguration.loadConfiguration(confDir.toString(), Configuration.fromMap(settings));
    }

    /** {@code env.java.default-opts.all}, {@code env.java.opts.all}, then the role's own, as config.sh orders them. */
    private static List<String> javaOptions(Configuration conf, String roleKey) {
        List<String> options = new ArrayList<>();
        for (String key : List.of(CoreOptions.FLINK_DEFAULT_JVM_OPTIONS.key(), CoreOptions.FLINK_JVM_OPTIONS.key(),
                roleKey)) {
            options.addAll(split(conf.toMap().getOrDefault(key, "")));
        }
        return options;
    }

    private static List<String> split(String options) {
        return Arrays.stream(options.strip().split("\\s+")).filter(s -> !s.isEmpty()).toList();
    }
}
