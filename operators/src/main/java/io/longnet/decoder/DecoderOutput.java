package io.longnet.decoder;

import io.longnet.attention.Arrays2;
import io.longnet.model.ModelConfig;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One chunk's outputs.
 *
 * @param features [n, E] after the final LayerNorm (the last layer's output for post-LN models)
 * @param logits   [n, vocab], or null when the caller asked for features only
 */
public record DecoderOutput(INDArray features, INDArray logits) {

    public int tokens() {
        return (int) features.rows();
    }

    /** Features as a row-major copy [n * E]. */
    public float[] featuresRowMajor() {
        return Arrays2.rowMajor(features);
    }

    /** Logits as a row-major copy [n * vocab]. */
    public float[] logitsRowMajor() {
        if (logits == null) {
            throw new IllegalStateException("logits were not computed for this chunk");
        }
        if (logits.length() > ModelConfig.MAX_ARRAY_VALUES) {
            throw new IllegalStateException("logits " + Arrays.toString(logits.shape()) + " have more values"
                    + " than one array holds (" + ModelConfig.MAX_ARRAY_VALUES + "); copy them by rows");
        }
        return Arrays2.rowMajor(logits);
    }
}
