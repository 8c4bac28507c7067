package io.longnet.text;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The corpus tokenizer: tiktoken's cl100k_base (the LongNet paper's tokenizer) via jtokkit, whose jar
 * ships the vocabulary, so nothing is downloaded at run time.
 *
 * <p>Id layout of cl100k_base: ordinary (byte-pair) tokens are 0..100255; special tokens are
 * 100257 {@code <|endoftext|>}, 100258..100260 {@code <|fim_prefix|>, <|fim_middle|>, <|fim_suffix|>}
 * and 100276 {@code <|endofprompt|>}; 100256 and 100261..100275 are unassigned. So a model must have
 * at least {@value #VOCABULARY_SIZE} embedding rows.
 *
 * <p>Special tokens: document text is always encoded as ordinary text. The literal text
 * {@code "<|endoftext|>"} inside a document becomes the seven ordinary tokens
 * {@code [27, 91, 8862, 728, 428, 91, 29]}, never id 100257, so a document can never forge a
 * separator. (jtokkit's {@code Encoding.encode} would instead throw
 * {@code UnsupportedOperationException} on such text; we call {@code encodeOrdinary}.) The only
 * special token in a stream is the separator the chunker inserts itself.
 *
 * <p>Thread-safe and immutable; one shared instance per JVM ({@link #cl100k()}), because loading
 * the vocabulary takes a few hundred milliseconds and about ten megabytes.
 */
public final class CorpusTokenizer {

    /** Id of {@code <|endoftext|>}, placed before every document of a stream. */
    public static final int SEPARATOR_ID = 100257;
    /** Ordinary tokens are ids 0 .. ORDINARY_TOKEN_COUNT - 1. */
    public static final int ORDINARY_TOKEN_COUNT = 100256;
    /** Largest id (a special token) plus one. */
    public static final int VOCABULARY_SIZE = 100277;

    /** The special tokens of cl100k_base as tiktoken defines them (jtokkit decodes the same names). */
    static final Map<Integer, String> SPECIAL_TOKENS = Map.of(
            SEPARATOR_ID, "<|endoftext|>",
            100258, "<|fim_prefix|>",
            100259, "<|fim_middle|>",
            100260, "<|fim_suffix|>",
            100276, "<|endofprompt|>");

    private static final Logger LOG = LoggerFactory.getLogger(CorpusTokenizer.class);

    private final Encoding encoding;

    private CorpusTokenizer(Encoding encoding) {
        this.encoding = encoding;
    }

    /** The shared cl100k_base tokenizer, loaded on first use. */
    public static CorpusTokenizer cl100k() {
        return Holder.INSTANCE;
    }

    /** Encodes document text as ordinary text: special-token text is never turned into a special id. */
    public int[] encode(String text) {
        if (text == null) {
            throw new IllegalArgumentException("text to encode must not be null");
        }
        return encoding.encodeOrdinary(text).toArray();
    }

    /**
     * Text of one token, for displaying top-k predictions.
     *
     * <ul>
     *   <li>Ordinary token: its UTF-8 text. A single token may hold only part of a multi-byte character
     *       (e.g. id 76460 is the first three bytes of an emoji); such stray bytes are shown as
     *       {@code \xNN} escapes instead of being silently replaced by U+FFFD.
     *   <li>Special token: its name, e.g. {@code "<|endoftext|>"} (see {@link #isSpecial(int)}).
     *   <li>Unassigned id (100256, 100261..100275, or any id a larger model vocabulary has beyond
     *       {@link #vocabularySize()}): {@code "<|no_token:ID|>"}, so the display never fails.
     * </ul>
     */
    public String decode(int tokenId) {
        String special = SPECIAL_TOKENS.get(tokenId);
        if (special != null) {
            return special;
        }
        if (!isOrdinary(tokenId)) {
            return "<|no_token:" + tokenId + "|>";
        }
        return utf8WithEscapes(tokenBytes(tokenId));
    }

    /** Raw bytes of an ordinary token (a fragment of UTF-8 text). */
    public byte[] tokenBytes(int tokenId) {
        if (!isOrdinary(tokenId)) {
            throw new IllegalArgumentException("token id " + tokenId + " is not an ordinary cl100k_base token"
                    + " (ordinary ids are 0.." + (ORDINARY_TOKEN_COUNT - 1) + ")");
        }
        IntArrayList single = new IntArrayList(1);
        single.add(tokenId);
        return encoding.decodeBytes(single);
    }

    public boolean isSpecial(int tokenId) {
        return SPECIAL_TOKENS.containsKey(tokenId);
    }

    public boolean isOrdinary(int tokenId) {
        return tokenId >= 0 && tokenId < ORDINARY_TOKEN_COUNT;
    }

    public int separatorId() {
        return SEPARATOR_ID;
    }

    /** Largest token id plus one (100277): the number of embedding rows a model needs at least. */
    public int vocabularySize() {
        return VOCABULARY_SIZE;
    }

    /** Fails unless a model with {@code modelVocabSize} rows can represent every tokenizer id. */
    public void checkModelVocabulary(int modelVocabSize) {
        if (modelVocabSize < VOCABULARY_SIZE) {
            throw new IllegalArgumentException("model vocab_size is " + modelVocabSize
                    + " but tokenizer cl100k_base needs vocab_size >= " + VOCABULARY_SIZE
                    + " (ids 0.." + (VOCABULARY_SIZE - 1) + ", separator " + SEPARATOR_ID + ")");
        }
    }

    /** Strict UTF-8 decoding that escapes malformed bytes as {@code \xNN} rather than hiding them. */
    static String utf8WithEscapes(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(4 * bytes.length + 4);
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            if (!result.isError()) {
                break;
            }
            for (int i = 0; i < result.length(); i++) {
                out.put(String.format("\\x%02X", in.get() & 0xFF));
            }
        }
        decoder.flush(out);
        return out.flip().toString();
    }

    /** Lazy holder: the vocabulary is loaded once, on first use, by the JVM's class-init lock. */
    private static final class Holder {
        static final CorpusTokenizer INSTANCE = load();

        private static CorpusTokenizer load() {
            long start = System.nanoTime();
            // The lazy registry parses only the encoding asked for (the default one parses all four).
            Encoding encoding = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
            LOG.info("Loaded tokenizer {} in {} ms", encoding.getName(), (System.nanoTime() - start) / 1_000_000);
            return new CorpusTokenizer(encoding);
        }
    }
}
