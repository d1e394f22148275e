package org.layerfuse.prune;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.layerfuse.prune.loop.StepRecordSeeds;

/**
 * Writes the seeds of this module's fuzz targets that need our writers (parquet through DuckDB,
 * step records through the run directory's JSON). Runs only with {@code -Dlayerfuse.writeFuzzSeeds=true}.
 */
@EnabledIfSystemProperty(named = "layerfuse.writeFuzzSeeds", matches = "true")
class FuzzSeedWriter {

    static final Path RESOURCES = Path.of("src/test/resources/org/layerfuse/prune");

    @Test
    void writeSeeds() throws Exception {
        Path parquet = RESOURCES.resolve("data/DatasetFilesFuzzTestInputs/parquet");
        Files.createDirectories(parquet);
        for (String[] seed : List.of(
                new String[] {"names.parquet", "SELECT * FROM (VALUES ('Win a free prize now', 'spam'), "
                        + "('Meeting moved to 3pm', 'ham'), ('naïve café 日本語', 'ham')) t(text, label)"},
                new String[] {"indices.parquet", "SELECT * FROM (VALUES ('Stocks rally', 1::BIGINT), "
                        + "('Rain tomorrow', 0::BIGINT)) t(text, label)"})) {
            Path file = parquet.resolve(seed[0]).toAbsolutePath();
            Files.deleteIfExists(file);
            try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement st = db.createStatement()) {
                st.execute("COPY (" + seed[1] + ") TO '" + file + "' (FORMAT PARQUET)");
            }
        }
        StepRecordSeeds.write(RESOURCES.resolve("loop/StepRecordFuzzTestInputs/stepRecord"));
    }
}
