package org.layerfuse.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.lang.ref.WeakReference;
import org.junit.jupiter.api.Test;
import org.layerfuse.bert.BertWeights;
import org.layerfuse.bert.ParamNames;

/** A loaded model lets go of its Java weights once nothing uses them, and reads them again when asked. */
class PretrainedReloadTest {

    @Test
    void weightsAreHeldWeaklyAndReadAgainIdentically() throws InterruptedException {
        PretrainedModels.Pretrained minilm = PretrainedModels.load("minilm");
        BertWeights first = minilm.weights();
        assertSame(first, minilm.weights(), "held while someone uses them");
        float[] words = first.tensors().get(ParamNames.WORD_EMBEDDINGS).data().clone();
        WeakReference<BertWeights> ref = new WeakReference<>(first);
        first = null;
        for (int i = 0; i < 10 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(null, ref.get(), "nothing but the caller kept the weights");
        BertWeights again = minilm.weights();
        assertEquals(6, again.config().numHiddenLayers());
        assertArrayEquals(words, again.tensors().get(ParamNames.WORD_EMBEDDINGS).data(), "the same bytes, read again");
    }
}
