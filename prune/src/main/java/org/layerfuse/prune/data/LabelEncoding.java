package org.layerfuse.prune.data;

/** How a file's label values become class indices (see {@link TextFileDatasets}). */
public enum LabelEncoding {
    /** Names if every value is one of the given label names, else indices if every value is an integer, else names. */
    AUTO,
    /** Values are class names: their index in the given names, or in the sorted distinct values. */
    NAMES,
    /** Values are class indices 0..C−1 (C = number of given names, or largest value + 1). */
    INDICES
}
