package org.layerfuse.bert.tokenizer;

/**
 * One encoded input without padding: {@code [CLS] a… [SEP]} or {@code [CLS] a… [SEP] b… [SEP]} as
 * vocabulary ids, with segment ids 0 for the first part (its [CLS] and [SEP] included) and 1 for the second.
 */
public record Encoding(int[] inputIds, int[] tokenTypeIds) {

    public Encoding {
        if (inputIds.length != tokenTypeIds.length) {
            throw new IllegalArgumentException("inputIds has " + inputIds.length + " entries but tokenTypeIds has "
                    + tokenTypeIds.length);
        }
    }

    public int length() {
        return inputIds.length;
    }
}
