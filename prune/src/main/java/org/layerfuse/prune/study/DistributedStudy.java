package org.layerfuse.prune.study;

import java.util.List;
import java.util.Map;

/**
 * Runs a study's cells on a cluster instead of one after another in this thread. The
 * implementation (org.layerfuse.prune.spark.SparkStudy) is loaded by name only when asked
 * for, so the in-process runner never needs the cluster's classes.
 */
public interface DistributedStudy {

    /** The Spark implementation's class name. */
    String SPARK = "org.layerfuse.prune.spark.SparkStudy";

    /**
     * @param master      where to run (a Spark master URL; {@code submit}: the one spark-submit set)
     * @param taskCpus    cores each cell's task takes (and its ND4J threads)
     * @param conf        further cluster settings
     * @param commandLine the study command's arguments, from which each executor builds the same job
     */
    record Options(String master, int taskCpus, Map<String, String> conf, List<String> commandLine) {
        public Options {
            conf = Map.copyOf(conf);
            commandLine = List.copyOf(commandLine);
        }
    }

    /** Runs (or continues) the study and returns its results as on disk at the end. */
    StudyResults run(StudyJob job, boolean resume, Options options);
}
