package org.layerfuse.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.layerfuse.bert.tokenizer.TokenBatch;
import org.layerfuse.engine.Backend;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.deallocation.DeallocatableReference;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A float32 gradient call leaves no floating-point array to the garbage collector once its
 * {@link Gradients} and the arrays its graph keeps for the next call are freed: every array it
 * made (session intermediates and the outputs no op consumed, the batch's inputs, the
 * embedding-sum gradient, the ops' temporaries) is closed when the call returns. Unclosed arrays
 * pin native memory until a collection (MiniLM at 32 × 32: 73.5 MB a call before this was fixed).
 * Counted through ND4J's deallocator registry, which every native buffer joins when it is made.
 */
class GradientLeftoversTest {

    @SuppressWarnings("unchecked")
    private static Map<String, DeallocatableReference> registry() throws ReflectiveOperationException {
        Object service = Nd4j.getDeallocatorService();
        Field f = service.getClass().getDeclaredField("referenceMap");
        f.setAccessible(true);
        return (Map<String, DeallocatableReference>) f.get(service);
    }

    @Test
    void aFreedGradientCallLeavesNoFloatArrayOpen() throws Exception {
        Backend.init();
        List<String> labelsNames = List.of("a", "b", "c");
        BertConfig c = TestModels.tinyConfig(Activation.GELU_ERF, 2, labelsNames);
        BertModel model = BertModel.fromWeights(TestModels.randomWeights(c, 5, true), DataType.FLOAT);
        TokenBatch batch = TestModels.batch(40, 3);
        int[] labels = {0, 2, 1};
        float[] firstLogits = null;
        for (int call = 0; call < 2; call++) { // the first call builds the graphs
            Gradients warm = model.gradients(batch, labels);
            firstLogits = NativeFloats.toArray(warm.logits());
            warm.free();
        }
        Set<String> before = new HashSet<>(registry().keySet());
        Gradients g = model.gradients(batch, labels);
        assertArrayEquals(firstLogits, NativeFloats.toArray(g.logits()), "same logits on every call");
        int returned = g.byParameter().size() + 1; // the gradients and the logits: new arrays, the last ones were freed
        g.free();
        // What the call released waits in the graph's pool for the next call; freeing the pool
        // must leave nothing open either.
        assertTrue(model.pooledGradientBytes() > 0, "the call's released arrays are pooled");
        model.releaseGradientMemory();

        List<String> open = new ArrayList<>();
        int made = 0;
        for (Map.Entry<String, DeallocatableReference> e : registry().entrySet()) {
            if (before.contains(e.getKey()) || !(e.getValue().get() instanceof DataBuffer b)) {
                continue;
            }
            if (b.dataType().isFPType()) {
                made++;
                if (!b.wasClosed() && b.closeable()) {
                    open.add(b.dataType() + "[" + b.length() + "]");
                }
            }
        }
        assertTrue(made >= returned, "the call made its arrays through ND4J (" + made + " of at least " + returned + ")");
        assertEquals(List.of(), open, "float arrays of the call still open after it returned and was freed");
    }

    /**
     * The embedding-sum variable takes each batch's rows (copied into its array, or rebound when
     * the batch shape changes, the array it replaces freed): a call after calls with other
     * shapes gives the gradients of a fresh model, bit for bit.
     */
    @Test
    void gradientsDoNotDependOnEarlierBatchShapes() {
        Backend.init();
        BertConfig c = TestModels.tinyConfig(Activation.GELU_ERF, 2, List.of("a", "b", "c"));
        BertModel used = BertModel.fromWeights(TestModels.randomWeights(c, 5, true), DataType.FLOAT);
        BertModel fresh = BertModel.fromWeights(TestModels.randomWeights(c, 5, true), DataType.FLOAT);
        TokenBatch full = TestModels.batch(40, 3);
        TokenBatch two = full.slice(0, 2);
        used.gradients(full, new int[] {0, 2, 1}).free();
        used.gradients(two, new int[] {1, 0}).free();
        Gradients after = used.gradients(full, new int[] {2, 2, 0});
        Gradients expected = fresh.gradients(full, new int[] {2, 2, 0});
        assertEquals(expected.loss(), after.loss());
        for (Map.Entry<String, org.nd4j.linalg.api.ndarray.INDArray> e : expected.byParameter().entrySet()) {
            assertArrayEquals(NativeFloats.toArray(e.getValue()), NativeFloats.toArray(after.byParameter().get(e.getKey())),
                    e.getKey());
        }
    }
}
