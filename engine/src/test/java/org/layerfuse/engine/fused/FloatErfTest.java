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

    @Test
    void vectorErfEqualsScalarErf() {
        var species = FloatVector.SPECIES_PREFERRED;
        float[] x = FusedCases.uniform(species.length() * 64, 5, 1);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i += species.length()) {
            FloatErf.erf(FloatVector.fromArray(species, x, i)).intoArray(out, i);
        }
        for (int i = 0; i < x.length; i++) {
            assertEquals(FloatErf.erf(x[i]), out[i], Math.ulp(1f), "erf(" + x[i] + ")");
        }
    }
}
