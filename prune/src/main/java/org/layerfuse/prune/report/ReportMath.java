package org.layerfuse.prune.report;

import java.util.Arrays;
import org.apache.commons.math3.stat.StatUtils;

/** The few summary statistics the report uses, NaN where undefined. */
final class ReportMath {

    private ReportMath() {
    }

    /** float32 size in GB: parameters × 4 / 10⁹. */
    static double sizeGb(long parameters) {
        return parameters * 4.0 / 1e9;
    }

    static double mean(double[] v) {
        return v.length == 0 ? Double.NaN : StatUtils.mean(v);
    }

    /** Sample standard deviation (n − 1); 0 for one value, NaN for none. */
    static double std(double[] v) {
        return v.length == 0 ? Double.NaN : v.length == 1 ? 0 : Math.sqrt(StatUtils.variance(v));
    }

    /** Standard error of the mean, std / √n; NaN below two values. */
    static double standardError(double[] v) {
        return v.length < 2 ? Double.NaN : std(v) / Math.sqrt(v.length);
    }

    static double min(double[] v) {
        return v.length == 0 ? Double.NaN : StatUtils.min(v);
    }

    static double max(double[] v) {
        return v.length == 0 ? Double.NaN : StatUtils.max(v);
    }

    static double[] finite(double[] v) {
        return Arrays.stream(v).filter(Double::isFinite).toArray();
    }
}
