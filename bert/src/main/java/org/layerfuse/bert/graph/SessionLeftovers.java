package org.layerfuse.bert.graph;

import java.lang.reflect.Field;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.config.SDValue;
import org.nd4j.autodiff.samediff.config.SDValueType;
import org.nd4j.autodiff.samediff.internal.AbstractSession;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a finished SameDiff M2.1 session still holds besides its array cache: the op outputs it
 * never released (outputs with no consumer inside the call, e.g. the loss's parts) and one
 * native op context per op. Both wait for the garbage collector otherwise; measured on MiniLM at
 * 32 × 32, a gradient call left 32 such arrays (≈ 66 MB) and 244 contexts, which then pin
 * native memory between the next call's large arrays until a collection.
 *
 * <p>{@link #close} closes them, except arrays whose buffer the caller keeps: the call's returned
 * values, the placeholders it was given, and the graph's variables and constants. Views are
 * never closed (ND4J reports them not closeable). The session's private fields are read by
 * reflection (pinned ND4J version); if that fails, nothing is closed and the collector frees them
 * as before.
 */
final class SessionLeftovers {

    private static final Logger LOG = LoggerFactory.getLogger(SessionLeftovers.class);
    private static final Field NODE_VALUES = field(AbstractSession.class, "nodeValueOutputs");
    private static final Field OP_CONTEXTS = field(InferenceSession.class, "opContexts");

    private SessionLeftovers() {
    }

    private static Field field(Class<?> owner, String name) {
        try {
            Field f = owner.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("SameDiff session field {}.{} not accessible ({}): leftovers are left to the collector",
                    owner.getSimpleName(), name, e.toString());
            return null;
        }
    }

    /** The leftovers of {@code session}, read before its array cache is closed. */
    static Runnable of(InferenceSession session, Collection<SameDiff> graphs, Collection<INDArray> kept) {
        if (NODE_VALUES == null || OP_CONTEXTS == null) {
            return () -> { };
        }
        Map<?, ?> values;
        Map<?, ?> contexts;
        try {
            values = (Map<?, ?>) NODE_VALUES.get(session);
            contexts = (Map<?, ?>) OP_CONTEXTS.get(session);
        } catch (IllegalAccessException e) {
            return () -> { };
        }
        return () -> close(values.values(), contexts.values(), graphs, kept);
    }

    private static void close(Collection<?> values, Collection<?> contexts, Collection<SameDiff> graphs,
                              Collection<INDArray> kept) {
        Set<DataBuffer> keep = Collections.newSetFromMap(new IdentityHashMap<>());
        for (INDArray a : kept) {
            keepBuffer(keep, a);
        }
        for (SameDiff g : graphs) {
            for (SDVariable v : g.variables()) {
                if (v.getVariableType() == VariableType.VARIABLE || v.getVariableType() == VariableType.CONSTANT) {
                    keepBuffer(keep, v.getArr());
                }
            }
        }
        for (Object o : values) {
            if (o instanceof SDValue v && v.getSdValueType() == SDValueType.TENSOR) {
                INDArray a = v.getTensorValue();
                if (a != null && !a.wasClosed() && a.closeable() && !kept(keep, a.data())) {
                    a.close();
                }
            }
        }
        for (Object c : contexts) {
            try {
                ((OpContext) c).close();
            } catch (Exception e) {
                LOG.debug("closing an op context failed: {}", e.toString());
            }
        }
    }

    private static void keepBuffer(Set<DataBuffer> keep, INDArray a) {
        if (a != null && a.data() != null) {
            keep.add(a.data());
            if (a.data().originalDataBuffer() != null) {
                keep.add(a.data().originalDataBuffer());
            }
        }
    }

    private static boolean kept(Set<DataBuffer> keep, DataBuffer b) {
        return b == null || keep.contains(b) || (b.originalDataBuffer() != null && keep.contains(b.originalDataBuffer()));
    }
}
