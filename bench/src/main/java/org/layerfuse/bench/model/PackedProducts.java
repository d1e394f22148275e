package org.layerfuse.bench.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.layerfuse.bert.BertConfig;
import org.layerfuse.bert.BertModel;
import org.layerfuse.bert.ParamNames;
import org.layerfuse.engine.fused.Gemm;
import org.layerfuse.engine.fused.PackedMatrix;
import org.layerfuse.weights.PretrainedModels;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The six weight products of every layer of a real model, at a given number of rows, on
 * oneDNN's matmul as the unpacked forward runs them ({@code Gemm.gemm}) and on the same weights
 * packed for the 1×1 convolution ({@link PackedMatrix}, as {@code BertModel.packWeights} runs them),
 * the two alternated round by round in one JVM. Prints each side's median and best and the
 * speed-up, per row count.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp ... org.layerfuse.bench.model.PackedProducts minilm 30 1,8,16,256,1024
 * </pre>
 */
public final class PackedProducts {

    private PackedProducts() {
    }

    public static void main(String[] args) {
        String name = args.length > 0 ? args[0] : "minilm";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int[] rowCounts = Arrays.stream((args.length > 2 ? args[2] : "1,8,16,32,64,256,1024").split(","))
                .mapToInt(Integer::parseInt).toArray();
        if (rounds < 1 || Arrays.stream(rowCounts).anyMatch(r -> r < 1)) {
            throw new IllegalArgumentException("usage: PackedProducts <model> <rounds >= 1> <rows,rows,...>; got "
                    + String.join(" ", args));
        }
        BertModel model = BenchModels.classifier(PretrainedModels.load(name));
        BertConfig c = model.config();
        List<INDArray> weights = new ArrayList<>();
        List<PackedMatrix> packs = new ArrayList<>();
        for (int l : model.liveLayers()) {
            for (ParamNames.LayerMatrix m : ParamNames.LayerMatrix.values()) {
                INDArray w = model.parameter(m.kernel(l));
                PackedMatrix p = PackedMatrix.pack(w);
                if (p == null) {
                    throw new IllegalStateException("PackedProducts: " + m.kernel(l) + " could not be packed here "
                            + "(oneDNN's 1×1 convolution is not available)");
                }
                weights.add(w);
                packs.add(p);
            }
        }
        System.out.printf(Locale.ROOT, "%s: %d products a forward, matmul against packed weights, %d rounds "
                + "alternated, medians (best):%n", name, weights.size(), rounds);
        for (int rows : rowCounts) {
            INDArray[] in = new INDArray[weights.size()];
            INDArray[] out = new INDArray[weights.size()];
            for (int i = 0; i < weights.size(); i++) {
                in[i] = Nd4j.rand(DataType.FLOAT, rows, weights.get(i).rows()).subi(0.5);
                out[i] = Nd4j.create(DataType.FLOAT, rows, weights.get(i).columns());
            }
            double[][] ms = new double[2][rounds];
            for (int r = -5; r < rounds; r++) {
                for (int side = 0; side < 2; side++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < weights.size(); i++) {
                        if (side == 0) {
                            Gemm.gemm(in[i], weights.get(i), out[i], false, false, 1.0, 0.0);
                        } else if (!packs.get(i).gemm(in[i], null, out[i])) {
                            throw new IllegalStateException("PackedProducts: the pack refused " + rows + " rows");
                        }
                    }
                    if (r >= 0) {
                        ms[side][r] = (System.nanoTime() - t0) / 1e6;
                    }
                }
            }
            Arrays.sort(ms[0]);
            Arrays.sort(ms[1]);
            double flops = 0;
            for (INDArray w : weights) {
                flops += 2.0 * rows * w.rows() * w.columns();
            }
            double direct = ms[0][rounds / 2];
            double packed = ms[1][rounds / 2];
            System.out.printf(Locale.ROOT, "  %5d rows: matmul %8.3f ms (%.3f)  packed %8.3f ms (%.3f)  %.2f×  "
                    + "(%.0f against %.0f GFLOP/s; hidden %d)%n", rows, direct, ms[0][0], packed, ms[1][0],
                    direct / packed, flops / packed / 1e6, flops / direct / 1e6, c.hiddenSize());
        }
        packs.forEach(PackedMatrix::close);
    }
}
