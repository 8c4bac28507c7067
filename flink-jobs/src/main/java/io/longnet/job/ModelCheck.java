package io.longnet.job;

import io.longnet.model.ModelDirectory;
import io.longnet.ops.LogitsBuffer;
import io.longnet.text.CorpusTokenizer;
import java.nio.file.Path;
import org.bytedeco.javacpp.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checks the job runs before it builds its graph, so that a bad model fails at start with the
 * problem named, instead of in every TaskManager after records were consumed: the directory loads
 * (config.json parses, every tensor present with its shape), the ids of the tokenizer it names fit the model's
 * vocabulary, top-k fits too, and so do chunk-size's activations and, with predictions on, its logits buffer.
 */
public final class ModelCheck {

    private static final Logger LOG = LoggerFactory.getLogger(ModelCheck.class);

    private ModelCheck() {
    }

    /**
     * As {@link #validate(Path, int, int, boolean, long)} against the native-memory limit of this JVM, JavaCPP's
     * {@code maxPhysicalBytes} ({@link LogitsBuffer#requireWithin}). The check runs where the job is built (the
     * client, or the JobManager in application mode); the TaskManagers' limit may differ, so a chunk-size that
     * passes here can still be too large for them, and one refused here can be set after raising this JVM's
     * {@code -Dorg.bytedeco.javacpp.maxphysicalbytes}.
     */
    public static ModelDirectory validate(Path modelDir, int topK, int chunkSize, boolean predictions) {
        return validate(modelDir, topK, chunkSize, predictions, Pointer.maxPhysicalBytes());
    }

    /**
     * @param chunkSize the job's chunk-size: at most the tokens one chunk of the model can hold, and with
     *     predictions on, a logits buffer ({@link LogitsBuffer}) of at most {@code maxPhysicalBytes}
     * @param predictions whether the encoders compute logits: off, they hold no logits buffer
     * @param maxPhysicalBytes the native memory limit a logits buffer must fit on its own; 0 for none
     * @throws InvalidModelException naming the directory and the first problem found
     */
    static ModelDirectory validate(Path modelDir, int topK, int chunkSize, boolean predictions,
            long maxPhysicalBytes) {
        ModelDirectory model;
        try {
            model = ModelDirectory.load(modelDir);
        } catch (RuntimeException e) {
            throw new InvalidModelException(modelDir, e.getMessage(), e);
        }
        int vocabSize = model.config().vocabSize();
        CorpusTokenizer tokenizer;
        try {
            tokenizer = CorpusTokenizer.forModel(modelDir);
            tokenizer.checkModelVocabulary(vocabSize);
        } catch (IllegalArgumentException e) {
            throw new InvalidModelException(modelDir, e.getMessage(), e);
        }
        if (topK > vocabSize) {
            throw new InvalidModelException(modelDir, JobOptions.TOP_K.key() + " " + topK
                    + " is larger than the model's vocab_size " + vocabSize, null);
        }
        int maxChunk = model.config().maxChunkTokens();
        if (chunkSize > maxChunk) {
            throw new InvalidModelException(modelDir, JobOptions.CHUNK_SIZE.key() + " " + chunkSize + " is above the "
                    + "most tokens one chunk of this model can hold (" + maxChunk + ": its q, k, v [n, 3 x "
                    + model.config().embedDim() + "] and FFN rows [n, " + model.config().ffnDim() + "] must stay "
                    + "within one array and one 2^31-byte buffer); every chunk would fail", null);
        }
        if (predictions) {
            LogitsBuffer logits = new LogitsBuffer(chunkSize, vocabSize);
            try {
                logits.requireWithin(maxPhysicalBytes);
            } catch (IllegalArgumentException e) {
                throw new InvalidModelException(modelDir, e.getMessage(), e);
            }
            LOG.info("Logits buffer per encoder: {} rows x vocab_size {} = {} bytes; maxPhysicalBytes here: {}",
                    logits.rows(), vocabSize, logits.bytes(), maxPhysicalBytes);
        }
        LOG.info("Model {} ({}): tokenizer {}, vocab_size {}, E {}, {} heads, {} layers, segment_length {}, "
                + "dilated_ratio {}", modelDir, model.fingerprint(), tokenizer, vocabSize, model.config().embedDim(),
                model.config().heads(), model.config().layers(), model.config().schedule().segmentLengths(),
                model.config().schedule().dilatedRatios());
        return model;
    }

    /** The model directory cannot be used by this job; the message names the directory and why. */
    public static final class InvalidModelException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        InvalidModelException(Path modelDir, String problem, Throwable cause) {
            super("model directory " + modelDir + " cannot be used: " + problem, cause);
        }
    }
}
