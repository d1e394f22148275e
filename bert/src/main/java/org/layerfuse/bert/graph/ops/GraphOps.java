package org.layerfuse.bert.graph.ops;

/**
 * Loads every Java graph op class at once, so that all of them are in ND4J's op registry
 * (see {@link org.layerfuse.engine.javaop.JavaOps#register}) before the first graph is built,
 * rather than one by one while other threads may already be copying graphs.
 */
public final class GraphOps {

    private static final Class<?>[] ALL = {DenseOp.class, DenseBpOp.class, ProductBpOp.class, ProjectionsOp.class,
        ProjectionsBpOp.class, AttentionOp.class, AttentionBpOp.class, GeluOp.class, GeluBpOp.class, LayerNormOp.class,
        LayerNormBpOp.class, ResidualLayerNormBpOp.class, KdLossOp.class, KdLossBpOp.class};

    private GraphOps() {
    }

    /** Initialises (and so registers) every op class; idempotent. */
    public static void registerAll() {
        for (Class<?> c : ALL) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("graph op class " + c.getName() + " is missing", e);
            }
        }
    }
}
