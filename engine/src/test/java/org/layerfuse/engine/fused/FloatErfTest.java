package org.layerfuse.engine.fused;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.apache.commons.math3.special.Erf;
import org.junit.jupiter.api.Test;

/** The float erf approximation against commons-math's double erf, scalar and vector. */
class FloatErfTest {

    @Test
    void scalarErfIsWithinAFewFloatUlpsOfDoubleErf() {
        double worstAbs = 0;
        double worstRel = 0;
        for (int i = -600_000; i <= 600_000; i++) {
            float x = i * 1e-5f;
            double ref = Erf.erf(x);
            double err = Math.abs(FloatErf.erf(x) - ref);
            worstAbs = Math.max(worstAbs, err);
            if (Math.abs(ref) > 1e-30) {
                worstRel = Math.max(worstRel, err / Math.abs(ref));
            }
        }
        // float ulp of 1 is 1.2e-7: a few ulps absolute, and relative near 0 (erf(x) ≈ 1.128·x).
        assertTrue(worstAbs < 4e-7, "max |erf error| " + worstAbs);
        assertTrue(worstRel < 1e-6, "max relative erf error " + worstRel);
    }

    @Test
    void tinyAndHugeArguments() {
        assertEquals(Erf.erf(1e-20), FloatErf.erf(1e-20f), 1e-26);
        assertEquals(1f, FloatErf.erf(9f));
        assertEquals(-1f, FloatErf.erf(-1e30f));
        assertEquals(0f, FloatErf.erf(0f));
    }

    /** The array method (vector body and scalar tail) against the scalar erf, with a scale and offsets. */
    @Test
    void arrayErfEqualsScalarErf() {
        var species = FloatVector.SPECIES_PREFERRED;
        int n = species.length() * 64 + 5; // a scalar tail too
        float[] x = FusedCases.uniform(n + 3, 5, 1);
        float[] out = new float[n + 2];
        float scale = (float) Math.sqrt(0.5);
        FloatErf.erf(x, 3, scale, out, 2, n);
        for (int i = 0; i < n; i++) {
            assertEquals(FloatErf.erf(x[3 + i] * scale), out[2 + i], Math.ulp(1f), "erf(" + x[3 + i] + "·√½)");
        }
        float first = x[0];
        FloatErf.erf(x, 0, 1f, x, 0, n); // in place
        assertEquals(FloatErf.erf(first), x[0], Math.ulp(1f));
    }

    @Test
    void arrayErfRejectsRangesOutsideTheArrays() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> FloatErf.erf(new float[4], 1, 1f, new float[4], 0, 4));
    }
}
