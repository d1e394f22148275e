package org.layerfuse.bert.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerfuse.engine.Backend;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TensorFileTest {

    static {
        Backend.init();
    }

    private static List<INDArray> arrays() {
        Nd4j.getRandom().setSeed(7);
        INDArray big = Nd4j.randn(DataType.FLOAT, 300, 301); // more than one 64 KiB chunk, odd sizes
        return List.of(
                big,
                Nd4j.randn(DataType.DOUBLE, 5, 7001),
                Nd4j.createFromArray(Float.NaN, Float.NEGATIVE_INFINITY, -0f, Float.MIN_VALUE, 1e38f),
                Nd4j.scalar(DataType.FLOAT, 3.5f),
                Nd4j.createFromArray(1, 2, 3, -4),
                Nd4j.createFromArray(true, false),
                big.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(3, 9)), // a view: copied as ND4J does
                Nd4j.create(DataType.FLOAT, 0));
    }

    private static byte[] bytes(INDArray a, boolean ours) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(b)) {
            if (ours) {
                TensorFile.writeArray(a, out);
            } else {
                Nd4j.write(a, out);
            }
        }
        return b.toByteArray();
    }

    @Test
    void bulkWriterGivesNd4jsBytes() throws IOException {
        for (INDArray a : arrays()) {
            assertArrayEquals(bytes(a, false), bytes(a, true), a.dataType() + " " + a.shapeInfoToString());
        }
    }

    @Test
    void roundTripIsBitwise(@TempDir Path dir) {
        Map<String, INDArray> in = new LinkedHashMap<>();
        List<INDArray> list = arrays();
        for (int i = 0; i < list.size(); i++) {
            in.put("t" + i, list.get(i));
        }
        Path file = dir.resolve("x.bin");
        TensorFile.write(file, "header", in);
        TensorFile.Contents c = TensorFile.read(file);
        assertEquals("header", c.header());
        assertEquals(in.keySet(), c.arrays().keySet());
        for (String k : in.keySet()) {
            INDArray a = in.get(k).dup();
            INDArray b = c.arrays().get(k);
            assertArrayEquals(a.shape(), b.shape(), k);
            assertEquals(a.dataType(), b.dataType(), k);
            if (a.length() > 0) {
                assertArrayEquals(a.data().asBytes(), b.data().asBytes(), k);
            }
        }
    }
}
