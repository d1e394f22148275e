package org.layerfuse.bert.graph.ops;

/**
 * The training loss of one batch and its gradient with respect to the logits, in double:
 * <pre>
 *   L = α·CE + (1 − α)·T²·KL,   CE = −(1/B) Σ_b Σ_c y_bc·log softmax(z_b)_c,
 *   KL = (1/B) Σ_b Σ_c t_bc·(log t_bc − log softmax(z_b/T)_c),   t_b = softmax(z_teacher,b / T)
 *   ∂L/∂z_bc = (1/B)·[α·(p_bc·Σ_k y_bk − y_bc) + (1 − α)·T·(q_bc − t_bc)],
 *   p_b = softmax(z_b), q_b = softmax(z_b / T)
 * </pre>
 * Each log-softmax is z − max − log Σ exp(z − max), as the graph wrote it with ND4J ops.
 */
final class KdLoss {

    private KdLoss() {
    }

    /** L for row-major {@code [rows, classes]} logits, labels and teacher logits. */
    static double loss(double[] z, double[] y, double[] teacher, int rows, int classes, double alpha, double t) {
        double ce = 0;
        double kl = 0;
        double[] a = new double[classes];
        double[] b = new double[classes];
        double[] c = new double[classes];
        for (int r = 0; r < rows; r++) {
            int o = r * classes;
            logSoftmax(z, o, classes, 1, a);
            logSoftmax(teacher, o, classes, t, b);
            logSoftmax(z, o, classes, t, c);
            for (int k = 0; k < classes; k++) {
                ce -= y[o + k] * a[k];
                kl += Math.exp(b[k]) * (b[k] - c[k]);
            }
        }
        return alpha * (ce / rows) + (1 - alpha) * t * t * (kl / rows);
    }

    /** ∂L/∂z times {@code scale} (the loss's own gradient), row-major {@code [rows, classes]}. */
    static double[] gradient(double[] z, double[] y, double[] teacher, int rows, int classes, double alpha, double t,
                             double scale) {
        double[] out = new double[rows * classes];
        double[] p = new double[classes];
        double[] q = new double[classes];
        double[] s = new double[classes];
        for (int r = 0; r < rows; r++) {
            int o = r * classes;
            logSoftmax(z, o, classes, 1, p);
            logSoftmax(z, o, classes, t, q);
            logSoftmax(teacher, o, classes, t, s);
            double labelSum = 0;
            for (int k = 0; k < classes; k++) {
                labelSum += y[o + k];
            }
            for (int k = 0; k < classes; k++) {
                double ce = Math.exp(p[k]) * labelSum - y[o + k];
                double kd = Math.exp(q[k]) - Math.exp(s[k]);
                out[o + k] = scale * (alpha * ce + (1 - alpha) * t * kd) / rows;
            }
        }
        return out;
    }

    /** out = log softmax(x[from .. from + n) / t). */
    private static void logSoftmax(double[] x, int from, int n, double t, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) {
            out[k] = x[from + k] / t;
            max = Math.max(max, out[k]);
        }
        double sum = 0;
        for (int k = 0; k < n; k++) {
            out[k] -= max;
            sum += Math.exp(out[k]);
        }
        double log = Math.log(sum);
        for (int k = 0; k < n; k++) {
            out[k] -= log;
        }
    }
}
