package org.layerfuse.bert.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EvaluationTest {

    @Test
    void accuracyMacroF1AndLossByHand() {
        // true: 0 0 1 1 2 ; predicted: 0 1 1 1 0
        float[][] logits = {{2, 0, 0}, {0, 1, 0}, {0, 3, 0}, {1, 2, 0}, {1, 0, 0}};
        int[] labels = {0, 0, 1, 1, 2};
        Evaluation e = Evaluation.of(logits, labels, 3);
        assertEquals(3.0 / 5, e.accuracy(), 1e-12);
        // class 0: tp 1 fp 1 fn 1 -> 0.5; class 1: tp 2 fp 1 fn 0 -> 0.8; class 2: tp 0 fp 0 fn 1 -> 0
        assertEquals((0.5 + 0.8 + 0.0) / 3, e.macroF1(), 1e-12);
        assertArrayEquals(new int[] {1, 1, 0}, e.confusion()[0]);
        double loss = 0;
        for (int i = 0; i < 5; i++) {
            double sum = 0;
            for (float z : logits[i]) {
                sum += Math.exp(z);
            }
            loss -= Math.log(Math.exp(logits[i][labels[i]]) / sum);
        }
        assertEquals(loss / 5, e.loss(), 1e-9);
    }

    @Test
    void classesThatNeverOccurAreLeftOutOfMacroF1() {
        Evaluation e = Evaluation.of(new float[][] {{1, 0, 0}, {0, 1, 0}}, new int[] {0, 1}, 3);
        assertEquals(1.0, e.macroF1(), 1e-12);
    }
}
