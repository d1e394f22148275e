package org.layerfuse.prune.cli;

/** A command whose options can be checked without running it. */
interface ValidatedOptions {

    /** Checks every option's range; throws IllegalArgumentException naming the option and its valid range. */
    void validate();
}
