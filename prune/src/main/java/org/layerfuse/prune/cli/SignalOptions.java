package org.layerfuse.prune.cli;

import java.util.Locale;
import org.layerfuse.engine.kernels.VectorKernels;
import org.layerfuse.engine.mi.BinnedMutualInformation;
import org.layerfuse.engine.mi.GaussianMutualInformation;
import org.layerfuse.engine.mi.KnnMutualInformation;
import org.layerfuse.engine.mi.MutualInformationEstimator;
import org.layerfuse.engine.mi.PcaProjection;
import org.layerfuse.engine.mi.Projection;
import org.layerfuse.engine.mi.ReusedProjection;
import org.layerfuse.engine.mi.VarianceReduction;
import org.layerfuse.prune.signals.SignalComputer;
import picocli.CommandLine.Option;

/** How the layer signals are computed. */
public final class SignalOptions {

    @Option(names = "--mi", defaultValue = "gaussian",
            description = "Mutual-information estimator for the two MI signals, on per-example mean activations "
                    + "projected by PCA to --mi-dims: gaussian (covariance log-determinants), knn (KSG / Ross k-nearest "
                    + "neighbours), binned (histogram of a 1-D projection), variance (the paper's variance reduction, in "
                    + "variance units). Default: ${DEFAULT-VALUE}.")
    String mi;

    @Option(names = "--mi-dims", defaultValue = "8", description = "PCA dimensions before MI (default: ${DEFAULT-VALUE}).")
    int miDims;

    @Option(names = "--signal-batch", defaultValue = "8",
            description = "Examples per mini-batch gradient for Gradient Magnitude and Fisher (default: ${DEFAULT-VALUE}).")
    int gradientBatch;

    void validate() {
        OptionRange.atLeast("--mi-dims", miDims, 1);
        OptionRange.atLeast("--signal-batch", gradientBatch, 1);
        options();
    }

    SignalComputer.Options options() {
        MutualInformationEstimator estimator = switch (mi.toLowerCase(Locale.ROOT)) {
            case "gaussian" -> new GaussianMutualInformation(pca(), 1e-6);
            case "knn" -> new KnnMutualInformation(3, pca(), 42);
            case "binned" -> new BinnedMutualInformation();
            case "variance" -> new VarianceReduction(pca(), 1e-6);
            default -> throw new IllegalArgumentException("--mi must be one of gaussian, knn, binned, variance; got '"
                    + mi + "'");
        };
        return new SignalComputer.Options(64, gradientBatch, estimator, VectorKernels.DEFAULT_EPS);
    }

    /** PCA to {@code --mi-dims}, each layer's activations projected once for its three MI estimates. */
    private Projection pca() {
        return new ReusedProjection(new PcaProjection(miDims), 2);
    }
}
