package org.layerfuse.bert;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scatter.ScatterUpdate;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The embedding gathers that feed the graph, and their gradient: row {@code i} of the sum is
 * word[ids[i]] + position[positions[i]] + tokenType[types[i]]; the gradient of a table is the
 * scatter-add of the sum's gradient rows into the rows that were read (repeated ids add up).
 *
 * <p>The scatter-add is done here, in a fixed order, rather than with ND4J's {@code
 * scatter_add}: that op races on repeated indices (measured: different sums from run to
 * run, even lost updates), which would make training neither repeatable nor correct.
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
        int n = rows.length;
        int h = (int) sumGradient.columns();
        int[] unique = Arrays.stream(rows).distinct().sorted().toArray();
        int[] slot = new int[n];
        for (int i = 0; i < n; i++) {
            slot[i] = Arrays.binarySearch(unique, rows[i]);
        }
        // Row sums accumulated in double, in token order: deterministic and exact enough.
        double[] g = sumGradient.dup('c').data().asDouble();
        double[] compact = new double[unique.length * h];
        for (int i = 0; i < n; i++) {
            int src = i * h;
            int dst = slot[i] * h;
            for (int j = 0; j < h; j++) {
                compact[dst + j] += g[src + j];
            }
        }
        DataType dtype = sumGradient.dataType();
        INDArray grad = Nd4j.zeros(dtype, tableRows, h);
        INDArray updates = Nd4j.create(compact, new long[] {unique.length, h}, 'c').castTo(dtype);
        Nd4j.scatterUpdate(ScatterUpdate.UpdateOp.ASSIGN, grad, Nd4j.createFromArray(unique), updates, 1);
        return grad;
    }
}
