package org.layerfuse.api;

import org.layerfuse.bert.BertConfig;

/** The token length the API truncates to: the option, or the model's position table. */
final class ModelLength {

    private ModelLength() {
    }

    static int of(BertConfig config, InferenceOptions options) {
        int limit = config.maxPositionEmbeddings();
        if (options.maxLength() > limit) {
            throw new IllegalArgumentException("maxLength " + options.maxLength() + " exceeds the model's "
                    + "max_position_embeddings " + limit);
        }
        return options.maxLength() == 0 ? limit : options.maxLength();
    }
}
