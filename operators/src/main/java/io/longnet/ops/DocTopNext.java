package io.longnet.ops;

import io.longnet.kafka.TopToken;
import java.util.List;

/**
 * The likeliest tokens after one document, as the encoder found them at the document's last row.
 *
 * @param docFirstPosition stream position of the document's first token: unique within a stream,
 *     where producer-chosen document ids may repeat
 * @param tokens best first
 */
public record DocTopNext(long docFirstPosition, List<TopToken> tokens) {

    public DocTopNext {
        tokens = List.copyOf(tokens);
    }
}
