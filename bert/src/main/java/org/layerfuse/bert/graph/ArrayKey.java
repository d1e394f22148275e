package org.layerfuse.bert.graph;

import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;

/** What makes one free array serve another allocation: type, order and shape ({@link PooledMemory}, {@link GraphPlan}). */
record ArrayKey(DataType type, char order, List<Long> shape) {

    static ArrayKey of(INDArray a) {
        return of(a.dataType(), a.ordering(), a.shape());
    }

    static ArrayKey of(LongShapeDescriptor d) {
        return of(d.dataType(), d.getOrder(), d.getShape());
    }

    private static ArrayKey of(DataType type, char order, long[] shape) {
        return new ArrayKey(type, order, Arrays.stream(shape).boxed().toList());
    }
}
