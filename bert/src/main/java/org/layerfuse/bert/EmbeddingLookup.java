package org.layerfuse.bert;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scatter.ScatterAdd;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The embedding gathers that feed the graph, and their gradient: row {@code i} of the sum is
 * word[ids[i]] + position[positions[i]] + tokenType[types[i]]; the gradient of a table is the
 * scatter-add of the sum's gradient rows into the rows that were read (repeated ids add up).
 */
final class EmbeddingLookup {

    private EmbeddingLookup() {
    }

    static INDArray sum(INDArray words, INDArray positionTable, INDArray typeTable, int[] ids, int[] positions,
                        int[] types) {
        INDArray out = Nd4j.pullRows(words, 1, ids);
        out.addi(Nd4j.pullRows(positionTable, 1, positions));
        out.addi(Nd4j.pullRows(typeTable, 1, types));
        return out;
    }

    /** ∂L/∂table for a table of {@code tableRows} rows, given ∂L/∂sum {@code [N, H]} and the rows read. */
    static INDArray tableGradient(INDArray sumGradient, int[] rows, long tableRows) {
        INDArray grad = Nd4j.zeros(sumGradient.dataType(), tableRows, sumGradient.columns());
        return Nd4j.exec(new ScatterAdd(grad, Nd4j.createFromArray(rows), sumGradient))[0];
    }
}
