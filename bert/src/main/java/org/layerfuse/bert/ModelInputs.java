package org.layerfuse.bert;

import java.util.HashMap;
import java.util.Map;
import org.layerfuse.bert.graph.BertGraph;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A {@link TokenBatch} turned into the graph's inputs: the summed embedding rows (set as the
 * array of {@link BertGraph#EMBEDDINGS_SUM}), and the placeholders (attention mask, [CLS]
 * selector, loss inputs); keeps the flattened ids for the embedding gradient.
 */
record ModelInputs(INDArray embeddingSum, Map<String, INDArray> placeholders, int[] ids, int[] positions, int[] types,
                   int batchSize) {

    /** The batch's token ids, positions, token types and 0/1 mask flattened to {@code B·S}, validated against the config. */
    record Flat(int[] ids, int[] positions, int[] types, float[] mask, int batchSize, int seqLen) {
    }

    static Flat flatten(TokenBatch batch, BertConfig config) {
        int b = batch.batchSize();
        int s = batch.seqLen();
        if (b == 0 || s == 0) {
            throw new IllegalArgumentException("empty batch: " + b + " rows of " + s + " tokens");
        }
        if (s > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence length " + s + " exceeds max_position_embeddings "
                    + config.maxPositionEmbeddings());
        }
        int n = b * s;
        int[] ids = new int[n];
        int[] types = new int[n];
        int[] positions = new int[n];
        float[] mask = new float[n];
        for (int r = 0; r < b; r++) {
            for (int t = 0; t < s; t++) {
                int i = r * s + t;
                int id = batch.inputIds()[r][t];
                int type = batch.tokenTypeIds()[r][t];
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " at row " + r + ", position " + t
                            + " is outside the vocabulary [0, " + config.vocabSize() + ")");
                }
                if (type < 0 || type >= config.typeVocabSize()) {
                    throw new IllegalArgumentException("token type " + type + " at row " + r + ", position " + t
                            + " is outside [0, " + config.typeVocabSize() + ")");
                }
                ids[i] = id;
                types[i] = type;
                positions[i] = t;
                mask[i] = batch.attentionMask()[r][t];
            }
        }
        return new Flat(ids, positions, types, mask, b, s);
    }

    /**
     * The graph's inputs for {@code batch}, the embedding sum written into the graph {@code sd}'s
     * embedding-sum array when it has this batch's shape (it then needs no copy at {@link #bind});
     * else (or with {@code sd} null) into a new array.
     */
    static ModelInputs encode(TokenBatch batch, BertConfig config, DataType dtype, Map<String, INDArray> params,
                              org.nd4j.autodiff.samediff.SameDiff sd) {
        return encode(batch, config, dtype, params, sd, false);
    }

    /**
     * As above; with {@code pack}, where {@link PackedRows#of} packs the batch, the embedding sum
     * holds its packed rows alone (each sequence's real tokens end to end, then the rounding's
     * rows) and the [CLS] selector picks each sequence's first packed row, while the mask
     * placeholder stays the {@code [B, S]} mask, from which the attention op reads the layout
     * ({@link SequenceLayout#of}). {@link #ids()} and the other token arrays then hold the real
     * rows only, the rows whose embedding gradients the tables receive.
     */
    static ModelInputs encode(TokenBatch batch, BertConfig config, DataType dtype, Map<String, INDArray> params,
                              org.nd4j.autodiff.samediff.SameDiff sd, boolean pack) {
        Flat flat = flatten(batch, config);
        PackedRows packed = pack ? PackedRows.of(flat, config.attentionMaskValue()) : null;
        Flat rows = packed == null ? flat : packed.tokens();
        int b = flat.batchSize();
        int s = flat.seqLen();
        int n = rows.ids().length;
        INDArray clsSelect = Nd4j.zeros(dtype, b, n);
        for (int r = 0; r < b; r++) {
            clsSelect.putScalar(r, packed == null ? (long) r * s : packed.offsets()[r], 1.0);
        }
        INDArray sum = EmbeddingLookup.sum(params.get(ParamNames.WORD_EMBEDDINGS),
                params.get(ParamNames.POSITION_EMBEDDINGS), params.get(ParamNames.TOKEN_TYPE_EMBEDDINGS), rows.ids(),
                rows.positions(), rows.types(), sd == null ? null : sd.getVariable(BertGraph.EMBEDDINGS_SUM).getArr());
        Map<String, INDArray> ph = new HashMap<>();
        INDArray floatMask = Nd4j.create(flat.mask(), new long[] {b, s}, 'c');
        INDArray typedMask = floatMask.castTo(dtype);
        if (typedMask != floatMask) {
            floatMask.close();
        }
        ph.put(BertGraph.ATTENTION_MASK, typedMask);
        ph.put(BertGraph.CLS_SELECT, clsSelect);
        if (packed == null) {
            return new ModelInputs(sum, ph, flat.ids(), flat.positions(), flat.types(), b);
        }
        int real = packed.real(); // the rounding's rows after them get no gradient
        return new ModelInputs(sum, ph, java.util.Arrays.copyOf(rows.ids(), real),
                java.util.Arrays.copyOf(rows.positions(), real), java.util.Arrays.copyOf(rows.types(), real), b);
    }

    /**
     * Frees the arrays made for this batch (the placeholders except the caller's own
     * {@code teacherLogits}, which {@link #addLoss} binds as they are when their type matches, and
     * the embedding sum unless the graph {@code sd} holds it) once the call that used them has
     * returned: left to the garbage collector they would pin native memory until the next
     * collection. SameDiff keeps the first array bound to a variable and copies later ones of
     * the same shape into it ({@link #bind}), so the sum is freed only when the variable's array
     * is another one.
     */
    void release(org.nd4j.autodiff.samediff.SameDiff sd, INDArray teacherLogits) {
        INDArray held = sd.getVariable(BertGraph.EMBEDDINGS_SUM).getArr();
        if (held == null || held.data() == null || embeddingSum.data() == null
                || held.data().address() != embeddingSum.data().address()) {
            Gradients.freeArray(embeddingSum);
        }
        for (INDArray a : placeholders.values()) {
            if (a != teacherLogits) {
                Gradients.freeArray(a);
            }
        }
    }

    /**
     * Gives the graph's embedding-sum variable this batch's rows: copied into the array it
     * holds when the shapes match (the batch's own array is then freed by {@link #release}),
     * else bound as the new array, and the one it replaces freed (no call uses it any more).
     */
    void bind(org.nd4j.autodiff.samediff.SameDiff sd) {
        org.nd4j.autodiff.samediff.SDVariable v = sd.getVariable(BertGraph.EMBEDDINGS_SUM);
        INDArray held = v.getArr();
        if (held == embeddingSum) {
            return; // encoded in place
        }
        if (held != null && java.util.Arrays.equals(held.shape(), embeddingSum.shape())
                && held.dataType() == embeddingSum.dataType()) {
            held.assign(embeddingSum);
            return;
        }
        v.setArray(embeddingSum);
        if (held != null) {
            Gradients.freeArray(held);
        }
    }

    /** Adds the loss inputs: one-hot labels, teacher logits (zeros when α = 1), α and T. */
    void addLoss(int[] labels, INDArray teacherLogits, double alpha, double temperature, int numLabels,
                 DataType dtype) {
        if (labels.length != batchSize) {
            throw new IllegalArgumentException(labels.length + " labels for a batch of " + batchSize);
        }
        INDArray oneHot = Nd4j.zeros(dtype, batchSize, numLabels);
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numLabels) {
                throw new IllegalArgumentException("label " + labels[i] + " of example " + i + " is outside [0, "
                        + numLabels + ")");
            }
            oneHot.putScalar(i, labels[i], 1.0);
        }
        INDArray teacher = teacherLogits == null ? Nd4j.zeros(dtype, batchSize, numLabels) : teacherLogits.castTo(dtype);
        if (teacher.rows() != batchSize || teacher.columns() != numLabels) {
            throw new IllegalArgumentException("teacher logits must be [" + batchSize + ", " + numLabels + "], got "
                    + java.util.Arrays.toString(teacher.shape()));
        }
        placeholders.put(BertGraph.LABELS, oneHot);
        placeholders.put(BertGraph.TEACHER_LOGITS, teacher);
        placeholders.put(BertGraph.KD_ALPHA, Nd4j.scalar(dtype, alpha));
        placeholders.put(BertGraph.KD_TEMPERATURE, Nd4j.scalar(dtype, temperature));
    }
}
