package org.layerfuse.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Exact comparison of ND4J arrays, for tests that claim "bitwise" or "identical": data type,
 * shape and the raw bits of every element. ND4J's own {@code equals} allows a difference of
 * 1e-5, which would let a real regression (a reordered sum, a lost step) through.
 */
public final class BitwiseArrays {

    private BitwiseArrays() {
    }

    public static void assertBitwiseEqual(INDArray expected, INDArray actual, String what) {
        assertEquals(expected.dataType(), actual.dataType(), what + ": data type");
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        INDArray a = expected.dup('c');
        INDArray b = actual.dup('c');
        long n = a.length();
        if (a.dataType() == DataType.DOUBLE) {
            double[] x = a.data().asDouble();
            double[] y = b.data().asDouble();
            for (int i = 0; i < n; i++) {
                if (Double.doubleToRawLongBits(x[i]) != Double.doubleToRawLongBits(y[i])) {
                    throw new AssertionError(what + ": element " + i + " differs: " + x[i] + " vs " + y[i]);
                }
            }
        } else {
            float[] x = a.castTo(DataType.FLOAT).data().asFloat();
            float[] y = b.castTo(DataType.FLOAT).data().asFloat();
            if (a.dataType() != DataType.FLOAT) {
                // Narrower types (half, int) are exact in float32, so comparing their float images is exact.
                assertEquals(a.dataType(), b.dataType());
            }
            for (int i = 0; i < n; i++) {
                if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) {
                    throw new AssertionError(what + ": element " + i + " differs: " + x[i] + " vs " + y[i]);
                }
            }
        }
    }

    public static void assertBitwiseEqual(INDArray expected, INDArray actual) {
        assertBitwiseEqual(expected, actual, "arrays");
    }
}
