package io.longnet.text;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelDirectory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model's tokenizer, named in its config.json under {@code longnet_tokenizer} (see {@link #forModel}):
 * {@code "cl100k_base"} (the default, so a config without the key keeps working), the other tiktoken encodings
 * jtokkit ships ({@code "o200k_base"}, {@code "p50k_base"}, {@code "r50k_base"}), or {@code "bytes"}. One type
 * serves the job, the benches, {@code train} and {@code eval}, so that they cannot disagree on ids.
 *
 * <p>{@code "bytes"}: a document's UTF-8 bytes are its tokens 0..255 and the separator is 256, so a model needs
 * vocab_size >= {@value #BYTES_VOCABULARY_SIZE}.
 *
 * <p>{@code "cl100k_base"}: tiktoken's encoding (the LongNet paper's tokenizer) via jtokkit, whose jar
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
 * <p>The other tiktoken encodings, each with {@code <|endoftext|>} as its separator (ids checked against jtokkit
 * 1.1.0 in {@code CorpusTokenizerTest}): o200k_base, ordinary 0..199997, specials 199999 {@code <|endoftext|>} and
 * 200018 {@code <|endofprompt|>}, vocab 200019 (199998 and 200000..200017 unassigned); p50k_base, ordinary
 * 0..50255 and 50257..50280 (its whitespace runs, above the separator), special 50256, vocab 50281; r50k_base,
 * ordinary 0..50255, special 50256, vocab 50257.
 *
 * <p>Thread-safe and immutable; one shared instance of each per JVM ({@link #named}), because loading a
 * vocabulary takes a few hundred milliseconds and about ten megabytes.
 */
public final class CorpusTokenizer {

    /** The config.json key naming a model's tokenizer. */
    public static final String CONFIG_KEY = ModelConfigJson.TOKENIZER_KEY;
    public static final String CL100K_BASE = "cl100k_base";
    public static final String O200K_BASE = "o200k_base";
    public static final String P50K_BASE = "p50k_base";
    public static final String R50K_BASE = "r50k_base";
    public static final String BYTES = "bytes";

    /** The bytes tokenizer's separator: the id after the 256 byte values. */
    public static final int BYTES_SEPARATOR_ID = 256;
    public static final int BYTES_VOCABULARY_SIZE = 257;

    /** cl100k_base's id of {@code <|endoftext|>}, placed before every document of a stream. */
    public static final int SEPARATOR_ID = 100257;
    /** cl100k_base's ordinary tokens are ids 0 .. ORDINARY_TOKEN_COUNT - 1. */
    public static final int ORDINARY_TOKEN_COUNT = 100256;
    /** cl100k_base's largest id (a special token) plus one. */
    public static final int VOCABULARY_SIZE = 100277;

    /** The special tokens of cl100k_base as tiktoken defines them (jtokkit decodes the same names). */
    static final Map<Integer, String> SPECIAL_TOKENS = Map.of(
            SEPARATOR_ID, "<|endoftext|>",
            100258, "<|fim_prefix|>",
            100259, "<|fim_middle|>",
            100260, "<|fim_suffix|>",
            100276, "<|endofprompt|>");

    private static final Logger LOG = LoggerFactory.getLogger(CorpusTokenizer.class);

    /** A tiktoken encoding's id layout: ordinary ids are those below the vocabulary not special nor unassigned. */
    private record Layout(EncodingType type, int separatorId, int vocabularySize, Map<Integer, String> specialTokens,
            Set<Integer> unassigned) {
    }

    private static final Map<String, Layout> TIKTOKEN = Map.of(
            CL100K_BASE, new Layout(EncodingType.CL100K_BASE, SEPARATOR_ID, VOCABULARY_SIZE, SPECIAL_TOKENS,
                    idsOf(ORDINARY_TOKEN_COUNT, 100261, 100276)),
            O200K_BASE, new Layout(EncodingType.O200K_BASE, 199999, 200019,
                    Map.of(199999, "<|endoftext|>", 200018, "<|endofprompt|>"), idsOf(199998, 200000, 200018)),
            P50K_BASE, new Layout(EncodingType.P50K_BASE, 50256, 50281, Map.of(50256, "<|endoftext|>"), Set.of()),
            R50K_BASE, new Layout(EncodingType.R50K_BASE, 50256, 50257, Map.of(50256, "<|endoftext|>"), Set.of()));

    private static final Map<String, CorpusTokenizer> LOADED = new ConcurrentHashMap<>();

    private static final CorpusTokenizer BYTES_INSTANCE = new CorpusTokenizer(BYTES, null, BYTES_SEPARATOR_ID,
            BYTES_VOCABULARY_SIZE, Map.of(BYTES_SEPARATOR_ID, "<|endoftext|>"), Set.of());

    private final String name;
    private final Encoding encoding; // null for the bytes tokenizer
    private final int separatorId;
    private final int vocabularySize;
    private final Map<Integer, String> specialTokens;
    private final BitSet ordinary; // [vocabularySize]: below the vocabulary, not special, not unassigned

    private CorpusTokenizer(String name, Encoding encoding, int separatorId, int vocabularySize,
            Map<Integer, String> specialTokens, Set<Integer> unassigned) {
        this.name = name;
        this.encoding = encoding;
        this.separatorId = separatorId;
        this.vocabularySize = vocabularySize;
        this.specialTokens = specialTokens;
        this.ordinary = new BitSet(vocabularySize);
        ordinary.set(0, vocabularySize);
        specialTokens.keySet().forEach(ordinary::clear);
        unassigned.forEach(ordinary::clear);
    }

    /** {@code single} and the ids [from, to). */
    private static Set<Integer> idsOf(int single, int from, int to) {
        Set<Integer> ids = new java.util.HashSet<>();
        ids.add(single);
        for (int id = from; id < to; id++) {
            ids.add(id);
        }
        return Set.copyOf(ids);
    }

    /** The shared cl100k_base tokenizer, loaded on first use. */
    public static CorpusTokenizer cl100k() {
        return named(CL100K_BASE);
    }

    /** The shared bytes tokenizer: UTF-8 bytes 0..255, separator 256. */
    public static CorpusTokenizer bytes() {
        return BYTES_INSTANCE;
    }

    /** The tokenizer a config.json value names: {@code "bytes"} or a tiktoken encoding's name. */
    public static CorpusTokenizer named(String name) {
        if (BYTES.equals(name)) {
            return bytes();
        }
        Layout layout = name == null ? null : TIKTOKEN.get(name);
        if (layout == null) {
            throw new IllegalArgumentException(CONFIG_KEY + " must be one of \"" + BYTES + "\", \"" + CL100K_BASE
                    + "\", \"" + O200K_BASE + "\", \"" + P50K_BASE + "\", \"" + R50K_BASE + "\", got \"" + name + "\"");
        }
        return LOADED.computeIfAbsent(name, n -> load(n, layout));
    }

    private static CorpusTokenizer load(String name, Layout layout) {
        long start = System.nanoTime();
        // The lazy registry parses only the encoding asked for (the default one parses all four).
        Encoding encoding = Encodings.newLazyEncodingRegistry().getEncoding(layout.type());
        LOG.info("Loaded tokenizer {} in {} ms", encoding.getName(), (System.nanoTime() - start) / 1_000_000);
        return new CorpusTokenizer(name, encoding, layout.separatorId(), layout.vocabularySize(),
                layout.specialTokens(), layout.unassigned());
    }

    /** The tokenizer a model directory's config.json names under {@link #CONFIG_KEY}, cl100k_base when absent. */
    public static CorpusTokenizer forModel(Path modelDir) {
        Path config = modelDir.resolve(ModelDirectory.CONFIG_FILE);
        try {
            return named(ModelConfigJson.tokenizer(Files.readString(config)));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read model config " + config + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(config + ": " + e.getMessage(), e);
        }
    }

    /** The name config.json gives this tokenizer. */
    public String name() {
        return name;
    }

    /**
     * Encodes document text as ordinary text: special-token text is never turned into a special id (for bytes,
     * the text's UTF-8 bytes, which never reach the separator).
     */
    public int[] encode(String text) {
        if (text == null) {
            throw new IllegalArgumentException("text to encode must not be null");
        }
        return encoding == null ? encodeUtf8(text.getBytes(StandardCharsets.UTF_8))
                : encoding.encodeOrdinary(text).toArray();
    }

    /**
     * Encodes a file's UTF-8 bytes. For bytes they are the tokens as they are (malformed UTF-8 included); the
     * tiktoken encodings read them as text first, so malformed bytes become U+FFFD.
     */
    public int[] encodeUtf8(byte[] utf8) {
        if (encoding != null) {
            return encode(new String(utf8, StandardCharsets.UTF_8));
        }
        int[] out = new int[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            out[i] = utf8[i] & 0xff;
        }
        return out;
    }

    /** Bytes of text a token stands for (0 for the separator and other special ids), for bits per byte. */
    public int bytesOf(int tokenId) {
        if (!isOrdinary(tokenId)) {
            return 0;
        }
        return encoding == null ? 1 : tokenBytes(tokenId).length;
    }

    /**
     * Text of one token, for displaying top-k predictions.
     *
     * <ul>
     *   <li>Ordinary token: its UTF-8 text. A single token may hold only part of a multi-byte character
     *       (e.g. cl100k_base's id 76460 is the first three bytes of an emoji, and every byte of a multi-byte
     *       character is one bytes token); such stray bytes are shown as {@code \xNN} escapes instead of being
     *       silently replaced by U+FFFD.
     *   <li>Special token: its name, e.g. {@code "<|endoftext|>"} (see {@link #isSpecial(int)}); the bytes
     *       tokenizer's separator shows as that name too.
     *   <li>Unassigned id (cl100k_base's 100256, 100261..100275, or any id a larger model vocabulary has beyond
     *       {@link #vocabularySize()}): {@code "<|no_token:ID|>"}, so the display never fails.
     * </ul>
     */
    public String decode(int tokenId) {
        String special = specialTokens.get(tokenId);
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
            throw new IllegalArgumentException("token id " + tokenId + " is not an ordinary " + name + " token"
                    + " (ordinary ids are " + ordinaryRanges() + ")");
        }
        if (encoding == null) {
            return new byte[] {(byte) tokenId};
        }
        IntArrayList single = new IntArrayList(1);
        single.add(tokenId);
        return encoding.decodeBytes(single);
    }

    /** The ordinary ids as ranges, e.g. "0..255" or "0..50255, 50257..50280", for messages. */
    private String ordinaryRanges() {
        StringBuilder ranges = new StringBuilder();
        for (int from = ordinary.nextSetBit(0); from >= 0; from = ordinary.nextSetBit(ordinary.nextClearBit(from))) {
            ranges.append(ranges.length() == 0 ? "" : ", ").append(from).append("..")
                    .append(ordinary.nextClearBit(from) - 1);
        }
        return ranges.toString();
    }

    public boolean isSpecial(int tokenId) {
        return specialTokens.containsKey(tokenId);
    }

    public boolean isOrdinary(int tokenId) {
        return tokenId >= 0 && ordinary.get(tokenId);
    }

    /** The id placed before every document of a stream. */
    public int separatorId() {
        return separatorId;
    }

    /** Largest token id plus one (cl100k_base 100277, bytes 257): the embedding rows a model needs at least. */
    public int vocabularySize() {
        return vocabularySize;
    }

    /** Fails unless a model with {@code modelVocabSize} rows can represent every tokenizer id. */
    public void checkModelVocabulary(int modelVocabSize) {
        if (modelVocabSize < vocabularySize) {
            throw new IllegalArgumentException("model vocab_size is " + modelVocabSize + " but its tokenizer "
                    + name + " (" + CONFIG_KEY + ") needs vocab_size >= " + vocabularySize
                    + " (ids 0.." + (vocabularySize - 1) + ", separator " + separatorId + ")");
        }
    }

    @Override
    public String toString() {
        return name;
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
}
