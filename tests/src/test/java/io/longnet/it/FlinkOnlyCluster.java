package io.longnet.it;

import java.io.File;
import java.util.Arrays;
import org.apache.flink.api.common.JobID;
import org.apache.flink.client.program.PackagedProgram;
import org.apache.flink.client.program.PackagedProgramUtils;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;

/**
 * The main class of a separate JVM whose class path holds Flink's own jars and nothing of this project, as on
 * a cluster: it starts a Flink cluster in that JVM and runs the shaded job jar the way {@code flink run} does,
 * its main method building the graph in the jar's own class loader and the tasks loading the jar child-first.
 * It imports only Flink. Arguments: the jar, then the job's arguments. Prints {@code SUBMITTED <job id>}, then
 * runs until destroyed; a job that ends on its own exits the JVM with status 1 and the cause.
 */
public final class FlinkOnlyCluster {

    static final int PARALLELISM = 2;

    private FlinkOnlyCluster() {
    }

    public static void main(String[] args) throws Exception {
        File jar = new File(args[0]);
        String[] jobArgs = Arrays.copyOfRange(args, 1, args.length);
        Configuration conf = new Configuration();
        conf.set(RestOptions.BIND_PORT, "0");
        MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(PARALLELISM)
                .build());
        cluster.start();
        PackagedProgram program = PackagedProgram.newBuilder()
                .setJarFile(jar)
                .setArguments(jobArgs)
                .setConfiguration(conf)
                .build();
        JobGraph graph = PackagedProgramUtils.createJobGraph(program, conf, PARALLELISM, false);
        JobID id = cluster.submitJob(graph).get().getJobID();
        System.out.println("SUBMITTED " + id);
        JobResult result = cluster.requestJobResult(id).get();
        System.out.println("JOB ENDED " + result.getApplicationStatus()
                + result.getSerializedThrowable().map(t -> ": " + t.getFullStringifiedStackTrace()).orElse(""));
        System.exit(1);
    }
}
