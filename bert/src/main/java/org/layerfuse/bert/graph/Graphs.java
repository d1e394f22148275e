package org.layerfuse.bert.graph;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.array.SingleThreadArrayHolder;

/**
 * New SameDiff graphs whose variables and constants are the caller's arrays, not copies.
 *
 * <p>SameDiff M2.1's default array holder ({@code ThreadSafeArrayHolder}) wraps every array
 * in a lazily initialised {@code DeviceLocalNDArray}, which keeps a {@code dup()} of it as the
 * template for other devices, even on a machine with one. A BERT-base graph thus held a
 * second copy of every encoder weight (0.34 GB, measured with glibc's {@code mallinfo2}), and
 * each rebuild after a prune left the previous copy to the garbage collector. A
 * {@link SingleThreadArrayHolder} stores the array itself; LayerFuse runs a graph on the
 * thread that owns its model, so nothing needs the per-device copies.
 */
public final class Graphs {

    private Graphs() {
    }

    /** An empty graph that holds variable and constant arrays by reference. */
    public static SameDiff create() {
        SameDiff sd = SameDiff.create();
        sd.setArrayHolders(new SingleThreadArrayHolder(), new SingleThreadArrayHolder(), false);
        return sd;
    }
}
