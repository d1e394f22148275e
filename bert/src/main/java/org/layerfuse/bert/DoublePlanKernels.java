package org.layerfuse.bert;

import org.layerfuse.engine.fused.ScalarTransformerKernels;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link PlanKernels} for float64 models (gradient checks, reference runs): whole buffers are
 * copied to double arrays, transformed by {@link ScalarTransformerKernels} and copied back.
 * Correct, not fast: float64 is never the production path.
 */
final class DoublePlanKernels implements PlanKernels {

    @Override
    public void embeddings(INDArray out, ModelInputs.Flat tokens, INDArray word, INDArray position, INDArray type,
                           INDArray gamma, INDArray beta, double eps) {
        int h = (int) out.columns();
        int n = tokens.ids().length;
        double[] x = new double[n * h];
        for (int t = 0; t < n; t++) {
            double[] w = word.getRow(tokens.ids()[t]).toDoubleVector();
            double[] p = position.getRow(tokens.positions()[t]).toDoubleVector();
            double[] ty = type.getRow(tokens.types()[t]).toDoubleVector();
            for (int j = 0; j < h; j++) {
                x[t * h + j] = w[j] + p[j] + ty[j];
            }
        }
        ScalarTransformerKernels.biasResidualLayerNorm(x, 0, n, h, null, null, 0, gamma.toDoubleVector(),
                beta.toDoubleVector(), eps);
        store(out, x);
    }

    @Override
    public void biasActivation(INDArray x, INDArray bias, Activation activation) {
        double[] a = load(x);
        int rows = (int) x.rows();
        int cols = (int) x.columns();
        double[] b = bias.toDoubleVector();
        switch (activation) {
            case GELU_ERF -> ScalarTransformerKernels.biasGeluErf(a, 0, rows, cols, b);
            case GELU_TANH -> ScalarTransformerKernels.biasGeluTanh(a, 0, rows, cols, b);
            case RELU -> ScalarTransformerKernels.biasRelu(a, 0, rows, cols, b);
        }
        store(x, a);
    }

    @Override
    public void biasResidualLayerNorm(INDArray x, INDArray bias, INDArray residual, INDArray gamma, INDArray beta,
                                      double eps) {
        double[] a = load(x);
        ScalarTransformerKernels.biasResidualLayerNorm(a, 0, (int) x.rows(), (int) x.columns(), bias.toDoubleVector(),
                load(residual), 0, gamma.toDoubleVector(), beta.toDoubleVector(), eps);
        store(x, a);
    }

    static double[] load(INDArray a) {
        return a.dup('c').data().asDouble();
    }

    static void store(INDArray a, double[] values) {
        a.assign(Nd4j.create(values, a.shape(), 'c'));
    }
}
