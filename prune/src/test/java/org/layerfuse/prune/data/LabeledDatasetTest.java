package org.layerfuse.prune.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class LabeledDatasetTest {

    @Test
    void countsExamplesPerClass() {
        var d = new LabeledDataset("d", List.of("a", "b", "c"),
                List.of(new Example("x", 2), new Example("y", 0), new Example("z", 2)));
        assertArrayEquals(new int[] {1, 0, 2}, d.classCounts());
        assertEquals(3, d.numClasses());
    }

    @Test
    void rejectsLabelOutOfRangeNamingDatasetAndExample() {
        var e = assertThrows(IllegalArgumentException.class, () -> new LabeledDataset("movies", List.of("neg", "pos"),
                List.of(new Example("fine", 1), new Example("bad", 2))));
        assertTrue(e.getMessage().contains("movies") && e.getMessage().contains("example 1")
                && e.getMessage().contains("label 2"), e.getMessage());
    }

    @Test
    void rejectsEmptyTextsAndDuplicateNames() {
        assertThrows(IllegalArgumentException.class, () -> new Example("  ", 0));
        assertThrows(IllegalArgumentException.class, () -> new Example("a", " ", 0));
        assertThrows(IllegalArgumentException.class, () -> new Example("a", -1));
        var e = assertThrows(IllegalArgumentException.class, () -> new LabeledDataset("d", List.of("a", "a"), List.of()));
        assertTrue(e.getMessage().contains("'a' appears twice"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LabeledDataset("d", List.of(), List.of()));
    }
}
