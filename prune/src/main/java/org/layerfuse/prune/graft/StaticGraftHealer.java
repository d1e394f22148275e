package org.layerfuse.prune.graft;

import java.util.Arrays;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.prune.loop.Healer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Static fusion ({@code graft-static}), the ablation baseline of learnable grafting (the
 * encoder analogue of FuseGPT's Table 9 "static" row): every matrix of the G live blocks
 * nearest to the removed block p takes half of p's matching matrix,
 * <pre>
 *   Wᵢ ← Wᵢ + ½·W_p
 * </pre>
 * with no data and no training: the learnable form with the coefficient matrix fixed at ½.
 */
public final class StaticGraftHealer implements Healer {

    private final int windowSize;

    public StaticGraftHealer(int windowSize) {
        if (windowSize < 1) {
            throw new IllegalArgumentException("--graft-window must be >= 1, got " + windowSize);
        }
        this.windowSize = windowSize;
    }

    @Override
    public String name() {
        return "graft-static";
    }

    @Override
    public String heal(BertModel model, int removedLayer, int step) {
        GraftWindow window = GraftWindow.around(model.liveMask(), removedLayer, windowSize);
        for (int l : window.layers()) {
            for (ParamNames.LayerMatrix m : ParamNames.LayerMatrix.values()) {
                INDArray removed = model.parameter(m.kernel(removedLayer));
                model.parameter(m.kernel(l)).addi(removed.mul(0.5));
            }
        }
        return "added half of layer " + removedLayer + "'s matrices to " + Arrays.toString(window.layers());
    }
}
