package org.layerfuse.prune.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.select.Elements;

/**
 * Independent reference computations for the report tests, straight from the definitions in
 * the report's text and from {@link SyntheticStudy}'s raw numbers, plus HTML/JSON lookups.
 */
final class ReportExpectations {

    static final Map<String, String> DISPLAY = Map.of("weight-norm", "Weight-Norm", "random", "Random", "random10",
            "Random10", "linear-regression", "Linear-Regression", "random-forest", "Random-Forest");

    private ReportExpectations() {
    }

    static int repeats(String strategy) {
        return strategy.equals("random") || strategy.equals("random10") ? SyntheticStudy.REPEATS : 1;
    }

    static double[] accuracy(String d, String h, String s, int rep) {
        return SyntheticStudy.RUNS.get(d + "/" + h + "/" + s + "/" + rep).accuracy();
    }

    /** Max over steps 1.. of one run. */
    static double runMax(double[] acc) {
        double m = Double.NEGATIVE_INFINITY;
        for (int k = 1; k < acc.length; k++) {
            m = Math.max(m, acc[k]);
        }
        return m;
    }

    /** The latest step reaching the run's max. */
    static int bestStep(double[] acc) {
        int best = 1;
        for (int k = 1; k < acc.length; k++) {
            if (acc[k] >= acc[best]) {
                best = k;
            }
        }
        return best;
    }

    static double sizeGb(int step) {
        return (SyntheticStudy.FULL_PARAMETERS - step * SyntheticStudy.LAYER_PARAMETERS) * 4.0 / 1e9;
    }

    static double baselineRatio(String d) {
        return SyntheticStudy.BASELINE.get(d) / (SyntheticStudy.FULL_PARAMETERS * 4.0 / 1e9);
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    static double sampleStd(double[] v) {
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1));
    }

    /** Mean over repeats of each repeat's max. */
    static double expectedMax(String d, String h, String s) {
        double[] m = new double[repeats(s)];
        for (int r = 0; r < m.length; r++) {
            m[r] = runMax(accuracy(d, h, s, r));
        }
        return mean(m);
    }

    /** Mean over repeats of 100 (r_best / r_0 - 1). */
    static double expectedGain(String d, String h, String s) {
        double[] g = new double[repeats(s)];
        for (int r = 0; r < g.length; r++) {
            double[] a = accuracy(d, h, s, r);
            int k = bestStep(a);
            g[r] = 100 * (a[k] / sizeGb(k) / baselineRatio(d) - 1);
        }
        return mean(g);
    }

    /** Mean accuracy over repeats at step k. */
    static double meanAt(String d, String h, String s, int k) {
        double[] v = new double[repeats(s)];
        for (int r = 0; r < v.length; r++) {
            v[r] = accuracy(d, h, s, r)[k];
        }
        return mean(v);
    }

    /** {n, W+, W-, p}: the signed-rank test as the report defines it, computed from scratch. */
    static double[] signedRank(double[] x, double[] y) {
        List<Double> d = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            if (Math.abs(x[i] - y[i]) > 1e-12 * Math.max(1, Math.max(Math.abs(x[i]), Math.abs(y[i])))) {
                d.add(new BigDecimal(x[i] - y[i]).round(new MathContext(12)).doubleValue());
            }
        }
        int n = d.size();
        double[] abs = d.stream().mapToDouble(Math::abs).toArray();
        double[] sorted = abs.clone();
        Arrays.sort(sorted);
        double wPlus = 0;
        for (int i = 0; i < n; i++) {
            int first = -1;
            int last = -1;
            for (int j = 0; j < n; j++) {
                if (sorted[j] == abs[i]) {
                    first = first < 0 ? j : first;
                    last = j;
                }
            }
            double rank = (first + last) / 2.0 + 1;
            if (d.get(i) > 0) {
                wPlus += rank;
            }
        }
        double wMinus = n * (n + 1) / 2.0 - wPlus;
        double w = Math.max(wPlus, wMinus);
        long atLeast = 0;
        for (long mask = 0; mask < (1L << n); mask++) {
            int sum = 0;
            for (int j = 0; j < n; j++) {
                if ((mask >> j & 1) == 1) {
                    sum += j + 1;
                }
            }
            if (sum >= w) {
                atLeast++;
            }
        }
        return new double[] {n, wPlus, wMinus, Math.min(1, 2.0 * atLeast / (1L << n))};
    }

    static void assertTest(JsonNode test, double[] expected, String what) {
        assertNotNull(test, what);
        assertFalse(test.isMissingNode(), what + " missing");
        assertEquals((int) expected[0], test.get("n").asInt(), what + " n");
        assertEquals(expected[1], test.get("wPlus").asDouble(), 1e-9, what + " W+");
        assertEquals(expected[2], test.get("wMinus").asDouble(), 1e-9, what + " W-");
        assertEquals(expected[3], test.get("p").asDouble(), 1e-12, what + " p");
        assertEquals(Math.min(expected[1], expected[2]), test.get("w").asDouble(), 1e-9, what + " W");
        assertEquals(expected[0] < 6, !test.get("note").isNull(), what + " note iff n < 6");
    }

    static String fmt(String format, double v) {
        return String.format(Locale.ROOT, format, v);
    }

    /** The td of a table by row label (first column) and column header. */
    static Element cell(Document doc, String tableId, String row, String column) {
        Element table = doc.getElementById(tableId);
        assertNotNull(table, "table " + tableId);
        Elements headers = table.select("thead th");
        int col = -1;
        for (int i = 0; i < headers.size(); i++) {
            if (headers.get(i).text().equals(column)) {
                col = i;
            }
        }
        assertTrue(col >= 0, "column " + column + " in " + tableId);
        for (Element tr : table.select("tbody tr")) {
            if (tr.child(0).text().equals(row)) {
                return tr.child(col);
            }
        }
        throw new AssertionError("row " + row + " not in " + tableId);
    }
}
