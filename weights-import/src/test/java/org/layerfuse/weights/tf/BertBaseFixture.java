package org.layerfuse.weights.tf;

import java.nio.file.Path;
import org.layerfuse.bert.BertWeights;

/**
 * The real BERT-base SavedModel (extracted once into the cache) and its imported weights, loaded
 * once per test JVM and shared by the test classes that need them (440 MB).
 */
public final class BertBaseFixture {

    private static BertWeights weights;

    private BertBaseFixture() {
    }

    public static Path savedModelDir() {
        return EasyBertArchive.savedModelDir();
    }

    public static synchronized BertWeights weights() {
        if (weights == null) {
            long t0 = System.nanoTime();
            weights = TfBertImporter.loadSavedModel(savedModelDir());
            System.out.printf("BERT-base TensorBundle import (read + CRC32C of every tensor): %.2f s%n",
                    (System.nanoTime() - t0) / 1e9);
        }
        return weights;
    }
}
