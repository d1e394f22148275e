package org.layerfuse.bert;

import java.util.HashMap;
import java.util.Map;
import org.layerfuse.engine.fused.PackedMatrix;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A float32 model's six weight matrices per live layer reordered once for oneDNN's 1×1-convolution
 * kernels ({@link PackedMatrix}), for inference that runs many forwards on weights that do not
 * change: the deploy API's engines, benchmarks. While open (see {@link BertModel#packWeights()}),
 * the fused forward's products read the packs instead of the matmul copying each weight matrix
 * into its kernel's layout at every call (ONNX Runtime prepacks a session's weights the same way).
 *
 * <p>A pack is a snapshot of the weights when it was made. So that no forward reads stale
 * weights, the model drops its packs when it computes gradients or loads a state; closing them
 * (or a later {@link BertModel#packWeights()}) drops them too. They belong to the parameter arrays:
 * the model's replicas, which share its arrays, read them and drop them alike. A caller that writes parameter arrays itself closes the packs first, and closes them only when
 * no forward that reads them is running.
 */
public final class PackedWeights implements AutoCloseable {

    private final BertModel model;
    private final Map<String, PackedMatrix> packs;
    private volatile boolean open = true;

    private PackedWeights(BertModel model, Map<String, PackedMatrix> packs) {
        this.model = model;
        this.packs = packs;
    }

    /** The live layers' weight matrices of {@code model} packed; an empty set where none can be. */
    static PackedWeights of(BertModel model) {
        Map<String, PackedMatrix> packs = new HashMap<>();
        if (model.dataType() == DataType.FLOAT && PackedMatrix.available()) {
            for (int l : model.liveLayers()) {
                for (ParamNames.LayerMatrix m : ParamNames.LayerMatrix.values()) {
                    String name = m.kernel(l);
                    PackedMatrix p = PackedMatrix.pack(model.parameter(name));
                    if (p != null) {
                        packs.put(name, p);
                    }
                }
            }
        }
        return new PackedWeights(model, packs);
    }

    /** The pack of weight matrix {@code name}, or null (not packed, or these packs closed). */
    PackedMatrix get(String name) {
        return open ? packs.get(name) : null;
    }

    /** How many matrices are packed (0 once closed). */
    public int size() {
        return open ? packs.size() : 0;
    }

    /** The native bytes the packs hold (0 once closed). */
    public long bytes() {
        long n = 0;
        if (open) {
            for (PackedMatrix p : packs.values()) {
                n += p.bytes();
            }
        }
        return n;
    }

    /** Whether these packs are in use (not closed, not dropped by the model). */
    public boolean isOpen() {
        return open;
    }

    /** Frees the packs; the forwards that read them go back to the direct products. */
    @Override
    public void close() {
        model.dropPacks(this);
    }

    /** Frees the packs (the model has forgotten them). */
    void free() {
        open = false;
        for (PackedMatrix p : packs.values()) {
            p.close();
        }
    }
}
