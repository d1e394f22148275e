package org.layerfuse.prune.strategy;

import java.util.Arrays;
import org.layerfuse.prune.signals.Signal;

/**
 * Removes the live layer with the minimum (or maximum) of one signal, as the signal's
 * {@link Signal#rule()} prescribes. Ties go to the lowest layer index.
 */
public abstract class SingleSignalStrategy implements PruningStrategy {

    private final Signal signal;

    protected SingleSignalStrategy(Signal signal) {
        this.signal = signal;
    }

    public Signal signal() {
        return signal;
    }

    @Override
    public String name() {
        return signal.cliName();
    }

    @Override
    public String displayName() {
        return signal.displayName();
    }

    @Override
    public Choice choose(PruningContext context) {
        double[] scores = new double[context.signals().numLayers()];
        Arrays.fill(scores, Double.NaN);
        int best = -1;
        for (int l : context.liveLayers()) {
            double v = context.signals().get(l, signal);
            scores[l] = v;
            boolean better = best < 0 || (signal.rule() == Signal.Rule.MIN ? v < scores[best] : v > scores[best]);
            if (better) {
                best = l;
            }
        }
        if (best < 0) {
            throw new IllegalStateException("no live layer left to remove");
        }
        return new Choice(best, scores, null);
    }
}
