package org.layerfuse.engine.javaop;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;

/**
 * A SameDiff graph op whose forward runs in Java (Vector-API kernels, ND4J matrix products into
 * the outputs SameDiff allocated) and whose gradient is another {@code JavaOp}, so the graph
 * keeps differentiating itself. SameDiff M2.1 has no user-defined ops, so {@link JavaOps}
 * routes these ops to {@link #compute} in front of ND4J's executioner; libnd4j never sees them.
 *
 * <p>Every output has the first input's data type. Subclasses name the op, say how many outputs
 * there are and their shapes from the input shapes where they differ from the defaults (one
 * output shaped like the first input), and compute them into the preallocated arrays.
 */
public abstract class JavaOp extends DynamicCustomOp {

    /** For SameDiff's copy of the graph (it clones each op through its serialized form). */
    protected JavaOp() {
    }

    protected JavaOp(SameDiff sd, SDVariable... inputs) {
        super(null, sd, inputs);
    }

    /** A name unique to the op class (SameDiff names the op's variables after it); constant. */
    @Override
    public abstract String opName();

    /** How many outputs: one unless a subclass says otherwise; constant (called while the super constructor runs). */
    @Override
    public int getNumOutputs() {
        return 1;
    }

    /** The output shapes for these input shapes: by default every output shaped like the first input. */
    protected long[][] outputShapes(long[][] inputShapes) {
        long[][] shapes = new long[getNumOutputs()][];
        java.util.Arrays.fill(shapes, inputShapes[0]);
        return shapes;
    }

    /** Writes every output (each a fresh array of the shape {@link #outputShapes} gave). */
    protected abstract void compute(INDArray[] in, INDArray[] out);

    /** A stable id for the serialized graph (FNV-1a of the name); libnd4j's registry has no entry. */
    @Override
    public long opHash() {
        long h = 0xcbf29ce484222325L;
        for (char c : opName().toCharArray()) {
            h = (h ^ c) * 0x100000001b3L;
        }
        return h;
    }

    /** Configuration lives in the t/i arguments, which SameDiff copies with the op. */
    @Override
    public Map<String, Object> propertiesForFunction() {
        return Map.of();
    }

    @Override
    public void setPropertiesForFunction(Map<String, Object> properties) {
        // Nothing: see propertiesForFunction.
    }

    @Override
    public List<DataType> calculateOutputDataTypes(List<DataType> dataTypes) {
        return Collections.nCopies(getNumOutputs(), dataTypes.get(0));
    }

    @Override
    public List<LongShapeDescriptor> calculateOutputShape() {
        return shapesOf(inputArguments().toArray(new INDArray[0]));
    }

    @Override
    public List<LongShapeDescriptor> calculateOutputShape(OpContext oc) {
        return shapesOf(oc.getInputArrays().toArray(new INDArray[0]));
    }

    private List<LongShapeDescriptor> shapesOf(INDArray[] in) {
        long[][] shapes = new long[in.length][];
        for (int i = 0; i < in.length; i++) {
            shapes[i] = in[i].shape();
        }
        long[][] out = outputShapes(shapes);
        int outputs = getNumOutputs();
        if (out.length != outputs) {
            throw new IllegalStateException(opName() + ": " + out.length + " output shapes for " + outputs + " outputs");
        }
        DataType type = in[0].dataType();
        List<LongShapeDescriptor> list = new ArrayList<>(out.length);
        for (long[] shape : out) {
            list.add(LongShapeDescriptor.fromShape(shape, type));
        }
        return list;
    }

    /** Runs the op on the arrays of a context, allocating missing outputs. */
    INDArray[] run(List<INDArray> inputs, List<INDArray> givenOutputs) {
        INDArray[] in = inputs.toArray(new INDArray[0]);
        int outputs = getNumOutputs();
        INDArray[] out = new INDArray[outputs];
        List<LongShapeDescriptor> shapes = null;
        for (int i = 0; i < outputs; i++) {
            INDArray given = givenOutputs != null && i < givenOutputs.size() ? givenOutputs.get(i) : null;
            if (given == null) {
                if (shapes == null) {
                    shapes = shapesOf(in);
                }
                given = org.nd4j.linalg.factory.Nd4j.create(shapes.get(i).dataType(), shapes.get(i).getShape(), 'c');
            }
            out[i] = given;
        }
        compute(in, out);
        return out;
    }
}
