package org.layerfuse.prune.graft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.layerfuse.engine.Backend;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TokenCosineTest {

    @Test
    void averagesPerTokenCosinesOverRealTokensOnly() {
        Backend.init();
        // batch 1 × 3 tokens × H = 2; the third token is padding and is opposite, so it would pull the mean down
        INDArray x = Nd4j.create(new double[] {1, 0, 3, 4, 1, 1}, new long[] {1, 3, 2}, 'c');
        INDArray y = Nd4j.create(new double[] {0, 5, 3, 4, -1, -1}, new long[] {1, 3, 2}, 'c');
        // token 0: orthogonal (cos 0); token 1: same direction (cos 1)
        assertEquals(0.5, TokenCosine.mean(x, y, new int[][] {{1, 1, 0}}), 1e-15);
        assertEquals(0.0, TokenCosine.mean(x, y, new int[][] {{1, 1, 1}}) - (0 + 1 - 1) / 3.0, 1e-15);
        // a long and a short vector count the same: no norm weighting
        INDArray a = Nd4j.create(new double[] {100, 0, 0, 1}, new long[] {1, 2, 2}, 'c');
        INDArray b = Nd4j.create(new double[] {100, 0, 1, 0}, new long[] {1, 2, 2}, 'c');
        assertEquals(0.5, TokenCosine.mean(a, b, new int[][] {{1, 1}}), 1e-15);
        assertEquals(1.0, TokenCosine.cosine(new double[] {0, 0}, new double[] {0, 0}), 0.0);
        assertEquals(0.0, TokenCosine.cosine(new double[] {0, 0}, new double[] {1, 0}), 0.0);
        assertThrows(IllegalArgumentException.class, () -> TokenCosine.mean(x, y, new int[][] {{0, 0, 0}}));
    }
}
