package org.layerfuse.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.junit.jupiter.api.Test;

class LapackCheckTest {

    /**
     * The check's verdict agrees with an independent factorisation (Commons Math, pure Java) of the
     * same matrix: "wrong" exactly where ND4J's factor differs from it. Holds on either kind of
     * machine (on the Intel AVX-512 Xeon of session 45 ND4J's factor is wrong, elsewhere right).
     */
    @Test
    void theVerdictAgreesWithAJavaCholesky() {
        Backend.init();
        double[][] java = new CholeskyDecomposition(new Array2DRowRealMatrix(LapackCheck.matrix())).getL().getData();
        double[][] nd4j = LapackCheck.nd4jFactor();
        double differs = 0;
        double scale = 0;
        for (int i = 0; i < LapackCheck.N; i++) {
            for (int j = 0; j < LapackCheck.N; j++) {
                differs = Math.max(differs, Math.abs(java[i][j] - nd4j[i][j]));
                scale = Math.max(scale, Math.abs(java[i][j]));
            }
        }
        double error = LapackCheck.choleskyError();
        assertTrue(error >= 0 && !Double.isNaN(error), "error " + error);
        boolean factorDiffers = differs > 1e-6 * scale;
        assertEquals(factorDiffers, LapackCheck.wrong(), "ND4J's factor differs from Java's by " + differs
                + " (scale " + scale + "), the reconstruction error is " + error);
        if (!factorDiffers) {
            assertTrue(error < 1e-12, "a right factor reconstructs A to rounding, got " + error);
        }
    }
}
