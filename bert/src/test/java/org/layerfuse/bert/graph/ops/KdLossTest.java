package org.layerfuse.bert.graph.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The loss op's arithmetic against the formula written another way (softmax as e^z / Σ e^z,
 * no shift, KL as Σ t·log(t/q)) and its gradient against central differences of the loss.
 */
class KdLossTest {

    @ParameterizedTest
    @CsvSource({"1.0, 1.0", "0.5, 2.0", "0.0, 3.0", "0.3, 0.7"})
    void lossIsTheFormulaAndTheGradientItsDerivative(double alpha, double t) {
        int rows = 5;
        int classes = 3;
        SplittableRandom r = new SplittableRandom(Double.hashCode(alpha * 31 + t));
        double[] z = new double[rows * classes];
        double[] teacher = new double[rows * classes];
        double[] y = new double[rows * classes];
        for (int i = 0; i < z.length; i++) {
            z[i] = r.nextDouble(-4, 4);
            teacher[i] = r.nextDouble(-4, 4);
        }
        for (int b = 0; b < rows; b++) {
            y[b * classes + r.nextInt(classes)] = 1;
        }
        double ce = 0;
        double kl = 0;
        for (int b = 0; b < rows; b++) {
            double[] p = softmax(z, b * classes, classes, 1);
            double[] q = softmax(z, b * classes, classes, t);
            double[] s = softmax(teacher, b * classes, classes, t);
            for (int k = 0; k < classes; k++) {
                ce -= y[b * classes + k] * Math.log(p[k]);
                kl += s[k] * Math.log(s[k] / q[k]);
            }
        }
        double expected = alpha * ce / rows + (1 - alpha) * t * t * kl / rows;
        assertEquals(expected, KdLoss.loss(z, y, teacher, rows, classes, alpha, t), 1e-12 * Math.max(1, expected));

        double scale = 0.75; // the loss's own gradient, as the graph hands it down
        double[] g = KdLoss.gradient(z, y, teacher, rows, classes, alpha, t, scale);
        double h = 1e-5;
        for (int i = 0; i < z.length; i++) {
            double keep = z[i];
            z[i] = keep + h;
            double plus = KdLoss.loss(z, y, teacher, rows, classes, alpha, t);
            z[i] = keep - h;
            double minus = KdLoss.loss(z, y, teacher, rows, classes, alpha, t);
            z[i] = keep;
            assertEquals(scale * (plus - minus) / (2 * h), g[i], 1e-8, "∂L/∂z[" + i + "], alpha " + alpha + ", T " + t);
        }
    }

    private static double[] softmax(double[] x, int from, int n, double t) {
        double[] e = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++) {
            e[k] = Math.exp(x[from + k] / t);
            sum += e[k];
        }
        for (int k = 0; k < n; k++) {
            e[k] /= sum;
        }
        return e;
    }
}
