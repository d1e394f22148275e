package org.layerfuse.prune.spark;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.layerfuse.prune.study.CellKey;
import org.layerfuse.prune.study.CellOutcome;
import org.layerfuse.prune.study.CellResult;
import org.layerfuse.prune.study.DistributedStudy;
import org.layerfuse.prune.study.StudyJob;
import org.layerfuse.prune.study.StudyResults;
import org.layerfuse.prune.study.StudyRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A study whose cells run as Apache Spark tasks, one task per cell. The driver (this JVM)
 * writes the spec and fine-tunes each dataset's baseline once into {@code --out}; each task
 * builds the same study from the command line on its executor, reads the baseline from
 * {@code --out} and writes its cell's step records there, so {@code --out} must be shared by
 * every executor. The driver then reads the records back, like the in-process runner.
 */
public final class SparkStudy implements DistributedStudy {

    private static final Logger LOG = LoggerFactory.getLogger(SparkStudy.class);

    /** System property: our jars (the launcher's class path without Spark), shipped to a real cluster's executors. */
    static final String OUR_JARS = "layerfuse.jars";

    /** JVM options every executor needs for our code (Spark adds its own --add-opens). */
    static final String EXECUTOR_JAVA_OPTIONS = "--add-modules jdk.incubator.vector -Xss4m "
            + "-Dorg.bytedeco.javacpp.maxbytes=2g -Dorg.bytedeco.javacpp.maxphysicalbytes=4g";

    @Override
    public StudyResults run(StudyJob job, boolean resume, Options options) {
        Path out = job.out().toAbsolutePath().normalize();
        StudyRunner runner = job.runner();
        runner.prepare(resume);
        for (String dataset : job.spec().datasets()) {
            runner.baseline(job.model(), job.data().apply(dataset));
        }
        List<CellKey> cells = StudyResults.read(out).cells().stream().filter(c -> !c.complete()).map(CellResult::key).toList();
        if (cells.isEmpty()) {
            LOG.info("every cell of {} is finished already", out);
            return StudyResults.read(out);
        }
        List<String> arguments = ExecutorArguments.absolute(options.commandLine(), out);
        SparkConf conf = conf(options);
        System.err.printf(Locale.ROOT, "[spark] %d cells on %s, %d core(s) per cell; results in %s%n", cells.size(),
                conf.get("spark.master"), options.taskCpus(), out);
        List<CellOutcome> outcomes = new ArrayList<>();
        try (JavaSparkContext spark = new JavaSparkContext(conf)) {
            spark.sc().addSparkListener(new CellProgressListener(cells, System.err));
            outcomes.addAll(spark.parallelize(cells.stream().map(CellTask.Cell::of).toList(), cells.size())
                    .map(new CellTask(arguments, options.taskCpus())).collect());
        } catch (RuntimeException e) {
            // The job as a whole failed (a task lost spark.task.maxFailures times): what the cells wrote stays.
            LOG.error("the Spark job failed: {}", e.toString());
            System.err.println("[spark] the job failed: " + e.getMessage());
        }
        for (CellOutcome o : outcomes) {
            if (o.failed()) {
                System.err.printf(Locale.ROOT, "[spark] cell %s FAILED on %s: %s (details in %s)%n", o.key(), o.attempt(),
                        o.error(), StudyResults.errorFile(o.key().directory(out)));
            }
        }
        return StudyResults.read(out);
    }

    /** Spark settings: the master, cores per task, and what our code needs on every executor. */
    static SparkConf conf(Options options) {
        SparkConf conf = new SparkConf().setAppName("layerfuse study");
        if (options.master().equals("submit")) {
            if (!conf.contains("spark.master")) {
                throw new IllegalArgumentException("--spark submit: no master was set by spark-submit (--master); "
                        + "give the master instead, e.g. --spark local[2] or --spark spark://host:7077");
            }
        } else {
            conf.setMaster(options.master());
        }
        for (Map.Entry<String, String> e : options.conf().entrySet()) {
            conf.set(e.getKey(), e.getValue());
        }
        conf.set("spark.task.cpus", Integer.toString(options.taskCpus()));
        conf.set("spark.executor.extraJavaOptions",
                (EXECUTOR_JAVA_OPTIONS + " " + conf.get("spark.executor.extraJavaOptions", "")).strip());
        String coreType = System.getenv("OPENBLAS_CORETYPE");
        if (coreType != null && !conf.contains("spark.executorEnv.OPENBLAS_CORETYPE")) {
            conf.set("spark.executorEnv.OPENBLAS_CORETYPE", coreType);
        }
        conf.setIfMissing("spark.executorEnv.OMP_NUM_THREADS", Integer.toString(options.taskCpus()));
        conf.setIfMissing("spark.ui.enabled", "false");
        String master = conf.get("spark.master");
        if (master.startsWith("local-cluster")) {
            checkSparkHome();
        }
        // A real cluster's executors have Spark but not LayerFuse: ship our jars (the launcher names them).
        String ours = System.getProperty(OUR_JARS);
        if (ours != null && !master.startsWith("local") && !conf.contains("spark.jars")) {
            conf.set("spark.jars", String.join(",", Arrays.stream(ours.split(File.pathSeparator))
                    .filter(j -> j.endsWith(".jar")).toList()));
        }
        return conf;
    }

    /** local-cluster starts its executors from SPARK_HOME's jars: say what is missing instead of Spark's puzzle. */
    private static void checkSparkHome() {
        String home = System.getenv("SPARK_HOME");
        if (home == null || !Files.isDirectory(Path.of(home, "jars"))) {
            throw new IllegalArgumentException("--spark local-cluster[...] starts executor JVMs from $SPARK_HOME/jars, but "
                    + (home == null ? "SPARK_HOME is not set" : home + "/jars is not a directory")
                    + "; LAYERFUSE_SPARK=1 ./layerfuse prepares one (prune/target/spark-home)");
        }
    }
}
