package io.longnet.train;

import io.longnet.text.CorpusTokenizer;
import java.nio.charset.StandardCharsets;

/**
 * How a model turns text into token ids, named in its config.json under {@link #CONFIG_KEY}: {@code "bytes"}
 * (UTF-8 bytes 0..255, separator 256: vocabulary 257) or {@code "cl100k_base"} (the default when absent).
 */
public enum TrainingTokenizer {
    BYTES("bytes", 257, 256),
    CL100K_BASE("cl100k_base", CorpusTokenizer.VOCABULARY_SIZE, CorpusTokenizer.SEPARATOR_ID);

    public static final String CONFIG_KEY = "longnet_tokenizer";

    private final String jsonName;
    private final int vocabulary;
    private final int separator;

    TrainingTokenizer(String jsonName, int vocabulary, int separator) {
        this.jsonName = jsonName;
        this.vocabulary = vocabulary;
        this.separator = separator;
    }

    public static TrainingTokenizer fromJson(String value) {
        for (TrainingTokenizer t : values()) {
            if (t.jsonName.equals(value)) {
                return t;
            }
        }
        throw new IllegalArgumentException(CONFIG_KEY + " must be \"bytes\" or \"cl100k_base\", got \"" + value + "\"");
    }

    public String jsonName() {
        return jsonName;
    }

    /** The smallest vocab_size a model needs for this tokenizer. */
    public int vocabulary() {
        return vocabulary;
    }

    public int separator() {
        return separator;
    }

    public void checkModel(int vocabSize) {
        if (vocabSize < vocabulary) {
            throw new IllegalArgumentException("vocab_size " + vocabSize + " is too small for tokenizer " + jsonName
                    + ", which needs " + vocabulary);
        }
    }

    public int[] encode(byte[] utf8) {
        if (this == BYTES) {
            int[] out = new int[utf8.length];
            for (int i = 0; i < utf8.length; i++) {
                out[i] = utf8[i] & 0xff;
            }
            return out;
        }
        return Cl100k.INSTANCE.encode(new String(utf8, StandardCharsets.UTF_8));
    }

    /** Bytes of text a token stands for, for bits per byte. */
    public int bytesOf(int token) {
        if (this == BYTES) {
            return token < 256 ? 1 : 0;
        }
        return Cl100k.INSTANCE.isOrdinary(token) ? Cl100k.INSTANCE.tokenBytes(token).length : 0;
    }

    private static final class Cl100k {
        static final CorpusTokenizer INSTANCE = CorpusTokenizer.cl100k();
    }
}
