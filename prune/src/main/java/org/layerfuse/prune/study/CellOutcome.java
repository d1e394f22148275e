package org.layerfuse.prune.study;

import java.io.Serializable;

/**
 * What one attempt at a cell did: the steps the cell already held when the attempt got it
 * (0 for a fresh cell, all of them when another attempt had finished it), the steps it holds
 * now, the error of a failed attempt (null when it succeeded), who ran it and how long it took.
 * Serializable: Spark tasks return it to the driver.
 */
public record CellOutcome(String dataset, String heal, String strategy, int repeat, int stepsBefore, int stepsAfter,
                          String error, String attempt, double seconds) implements Serializable {

    public CellKey key() {
        return new CellKey(dataset, heal, strategy, repeat);
    }

    public boolean failed() {
        return error != null;
    }
}
