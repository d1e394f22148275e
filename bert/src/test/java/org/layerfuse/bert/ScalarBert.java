package org.layerfuse.bert;

import org.layerfuse.bert.tokenizer.TokenBatch;

/**
 * An independent BERT forward pass in plain double loops, straight from the paper's formulas,
 * used as the reference for the SameDiff graph. Slow and obvious on purpose.
 */
final class ScalarBert {

    /** Outputs of the reference: hidden[l+1] = output of layer l (hidden[0] = embeddings). */
    record Result(double[][][][] hidden, double[][][][][] attention, double[][] pooled, double[][] logits) {
    }

    private final BertWeights w;
    private final BertConfig c;

    ScalarBert(BertWeights weights) {
        this.w = weights;
        this.c = weights.config();
    }

    /** @param liveLayers which layers run; a skipped layer passes its input through. */
    Result run(TokenBatch batch, boolean[] liveLayers) {
        int b = batch.batchSize();
        int s = batch.seqLen();
        int h = c.hiddenSize();
        int layers = c.numHiddenLayers();
        double[][][][] hidden = new double[layers + 1][][][];
        double[][][][][] attention = new double[layers][][][][];
        double[][][] x = new double[b][s][h];
        for (int r = 0; r < b; r++) {
            for (int t = 0; t < s; t++) {
                for (int j = 0; j < h; j++) {
                    x[r][t][j] = at(ParamNames.WORD_EMBEDDINGS, batch.inputIds()[r][t], j)
                            + at(ParamNames.POSITION_EMBEDDINGS, t, j)
                            + at(ParamNames.TOKEN_TYPE_EMBEDDINGS, batch.tokenTypeIds()[r][t], j);
                }
                x[r][t] = layerNorm(x[r][t], ParamNames.EMBEDDINGS_LN_GAMMA, ParamNames.EMBEDDINGS_LN_BETA);
            }
        }
        hidden[0] = x;
        for (int l = 0; l < layers; l++) {
            if (liveLayers[l]) {
                attention[l] = new double[b][][][];
                x = block(x, batch, l, attention[l]);
            }
            hidden[l + 1] = x;
        }
        double[][] pooled = null;
        double[][] logits = null;
        if (w.hasPooler()) {
            pooled = new double[b][];
            for (int r = 0; r < b; r++) {
                pooled[r] = dense(x[r][0], ParamNames.POOLER_KERNEL, ParamNames.POOLER_BIAS);
                for (int j = 0; j < h; j++) {
                    pooled[r][j] = Math.tanh(pooled[r][j]);
                }
            }
            if (w.has(ParamNames.CLASSIFIER_KERNEL)) {
                logits = new double[b][];
                for (int r = 0; r < b; r++) {
                    logits[r] = dense(pooled[r], ParamNames.CLASSIFIER_KERNEL, ParamNames.CLASSIFIER_BIAS);
                }
            }
        }
        return new Result(hidden, attention, pooled, logits);
    }

    private double[][][] block(double[][][] x, TokenBatch batch, int l, double[][][][] probsOut) {
        int b = x.length;
        int s = x[0].length;
        int h = c.hiddenSize();
        int heads = c.numAttentionHeads();
        int d = c.headSize();
        double[][][] out = new double[b][s][];
        for (int r = 0; r < b; r++) {
            double[][] q = new double[s][];
            double[][] k = new double[s][];
            double[][] v = new double[s][];
            for (int t = 0; t < s; t++) {
                q[t] = dense(x[r][t], ParamNames.LayerMatrix.QUERY.kernel(l), ParamNames.LayerMatrix.QUERY.bias(l));
                k[t] = dense(x[r][t], ParamNames.LayerMatrix.KEY.kernel(l), ParamNames.LayerMatrix.KEY.bias(l));
                v[t] = dense(x[r][t], ParamNames.LayerMatrix.VALUE.kernel(l), ParamNames.LayerMatrix.VALUE.bias(l));
            }
            probsOut[r] = new double[heads][s][s];
            double[][] context = new double[s][h];
            for (int head = 0; head < heads; head++) {
                for (int i = 0; i < s; i++) {
                    double[] scores = new double[s];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < s; j++) {
                        double dot = 0;
                        for (int e = 0; e < d; e++) {
                            dot += q[i][head * d + e] * k[j][head * d + e];
                        }
                        scores[j] = dot / Math.sqrt(d)
                                + (1 - batch.attentionMask()[r][j]) * c.attentionMaskValue();
                        max = Math.max(max, scores[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < s; j++) {
                        scores[j] = Math.exp(scores[j] - max);
                        sum += scores[j];
                    }
                    for (int j = 0; j < s; j++) {
                        double p = scores[j] / sum;
                        probsOut[r][head][i][j] = p;
                        for (int e = 0; e < d; e++) {
                            context[i][head * d + e] += p * v[j][head * d + e];
                        }
                    }
                }
            }
            for (int t = 0; t < s; t++) {
                double[] attn = dense(context[t], ParamNames.LayerMatrix.ATTENTION_OUTPUT.kernel(l),
                        ParamNames.LayerMatrix.ATTENTION_OUTPUT.bias(l));
                for (int j = 0; j < h; j++) {
                    attn[j] += x[r][t][j];
                }
                double[] a = layerNorm(attn, ParamNames.attentionLnGamma(l), ParamNames.attentionLnBeta(l));
                double[] inter = dense(a, ParamNames.LayerMatrix.INTERMEDIATE.kernel(l),
                        ParamNames.LayerMatrix.INTERMEDIATE.bias(l));
                for (int j = 0; j < inter.length; j++) {
                    inter[j] = activation(inter[j]);
                }
                double[] ffn = dense(inter, ParamNames.LayerMatrix.OUTPUT.kernel(l), ParamNames.LayerMatrix.OUTPUT.bias(l));
                for (int j = 0; j < h; j++) {
                    ffn[j] += a[j];
                }
                out[r][t] = layerNorm(ffn, ParamNames.ffnLnGamma(l), ParamNames.ffnLnBeta(l));
            }
        }
        return out;
    }

    private double activation(double x) {
        return switch (c.hiddenAct()) {
            case GELU_ERF -> 0.5 * x * (1 + org.apache.commons.math3.special.Erf.erf(x / Math.sqrt(2)));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case RELU -> Math.max(0, x);
        };
    }

    private double[] dense(double[] x, String kernel, String bias) {
        Tensor k = w.get(kernel);
        Tensor bv = w.get(bias);
        int in = (int) k.shape()[0];
        int out = (int) k.shape()[1];
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double sum = bv.data()[o];
            for (int i = 0; i < in; i++) {
                sum += x[i] * k.data()[i * out + o];
            }
            y[o] = sum;
        }
        return y;
    }

    private double[] layerNorm(double[] x, String gamma, String beta) {
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= x.length;
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= x.length;
        double inv = 1 / Math.sqrt(var + c.layerNormEps());
        double[] y = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            y[j] = (x[j] - mean) * inv * w.get(gamma).data()[j] + w.get(beta).data()[j];
        }
        return y;
    }

    private double at(String name, int row, int col) {
        Tensor t = w.get(name);
        return t.data()[row * (int) t.shape()[1] + col];
    }
}
