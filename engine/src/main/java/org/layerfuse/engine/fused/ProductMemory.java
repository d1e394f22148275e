package org.layerfuse.engine.fused;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Pointer;

/**
 * The memory objects of one oneDNN product primitive (source, weights, destination and an
 * optional bias) with no data of their own, and the argument map that names them: made once per
 * primitive, pointed at the caller's arrays at every call ({@link #bind}).
 */
final class ProductMemory implements AutoCloseable {

    final IntMemoryMap args = new IntMemoryMap();
    private final memory src;
    private final memory wts;
    private final memory dst;
    private final memory bias;
    private final DnnlMatmul.Address srcAt = new DnnlMatmul.Address();
    private final DnnlMatmul.Address wtsAt = new DnnlMatmul.Address();
    private final DnnlMatmul.Address dstAt = new DnnlMatmul.Address();
    private final DnnlMatmul.Address biasAt = new DnnlMatmul.Address();

    /** @param biasDesc the bias's layout, or null for a primitive without one */
    ProductMemory(engine cpu, memory.desc srcDesc, memory.desc wtsDesc, memory.desc dstDesc, memory.desc biasDesc) {
        src = new memory(srcDesc, cpu, new Pointer());
        wts = new memory(wtsDesc, cpu, new Pointer());
        dst = new memory(dstDesc, cpu, new Pointer());
        bias = biasDesc != null ? new memory(biasDesc, cpu, new Pointer()) : null;
        args.put(dnnl.DNNL_ARG_SRC, src);
        args.put(dnnl.DNNL_ARG_WEIGHTS, wts);
        args.put(dnnl.DNNL_ARG_DST, dst);
        if (bias != null) {
            args.put(dnnl.DNNL_ARG_BIAS, bias);
        }
    }

    /** Points the memory objects at these addresses (the bias's ignored without a bias). */
    IntMemoryMap bind(long srcAddress, long wtsAddress, long dstAddress, long biasAddress) {
        src.set_data_handle(srcAt.at(srcAddress));
        wts.set_data_handle(wtsAt.at(wtsAddress));
        dst.set_data_handle(dstAt.at(dstAddress));
        if (bias != null) {
            bias.set_data_handle(biasAt.at(biasAddress));
        }
        return args;
    }

    @Override
    public void close() {
        args.close();
        src.close();
        wts.close();
        dst.close();
        if (bias != null) {
            bias.close();
        }
    }
}
