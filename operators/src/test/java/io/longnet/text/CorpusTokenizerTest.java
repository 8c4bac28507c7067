package io.longnet.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTokenizerTest {

    private final CorpusTokenizer tokenizer = CorpusTokenizer.cl100k();

    @Test
    void encodesWidelyKnownCl100kIds() {
        // Published tiktoken cl100k_base values.
        assertThat(tokenizer.encode("hello world")).containsExactly(15339, 1917);
        assertThat(tokenizer.encode("The quick brown fox jumps over the lazy dog."))
                .containsExactly(791, 4062, 14198, 39935, 35308, 927, 279, 16053, 5679, 13);
    }

    @Test
    void goldenTokenIdsOfFixedText() {
        // Computed once with jtokkit 1.1.0; a tokenizer change that moves any id fails here.
        assertThat(tokenizer.encode("LongNet scales sequence length to 1,000,000,000 tokens."))
                .containsExactly(6720, 7099, 29505, 8668, 3160, 311, 220, 16, 11, 931, 11, 931, 11, 931, 11460, 13);
        assertThat(tokenizer.encode("héllo 日本 😀"))
                .containsExactly(71, 19010, 385, 76502, 22656, 91416);
        assertThat(tokenizer.encode("")).isEmpty();
    }

    @Test
    void specialTokenTextInsideADocumentIsOrdinaryText() {
        int[] ids = tokenizer.encode("a<|endoftext|>b");

        assertThat(ids).containsExactly(64, 27, 91, 8862, 728, 428, 91, 29, 65);
        assertThat(ids).doesNotContain(CorpusTokenizer.SEPARATOR_ID);
        assertThat(Arrays.stream(tokenizer.encode("<|endofprompt|><|fim_prefix|>")).allMatch(tokenizer::isOrdinary))
                .isTrue();
    }

    @Test
    void decodesOrdinaryTokensSoThatTheyJoinToTheText() {
        String text = "The quick brown fox jumps over the lazy dog.";
        StringBuilder joined = new StringBuilder();
        for (int id : tokenizer.encode(text)) {
            joined.append(tokenizer.decode(id));
        }

        assertThat(tokenizer.decode(15339)).isEqualTo("hello");
        assertThat(tokenizer.decode(1917)).isEqualTo(" world");
        assertThat(joined.toString()).isEqualTo(text);
    }

    @Test
    void decodesSpecialAndUnassignedIdsClearly() {
        assertThat(tokenizer.decode(100257)).isEqualTo("<|endoftext|>");
        assertThat(tokenizer.decode(100276)).isEqualTo("<|endofprompt|>");
        assertThat(tokenizer.isSpecial(100257)).isTrue();
        assertThat(tokenizer.isSpecial(15339)).isFalse();
        assertThat(tokenizer.decode(100256)).isEqualTo("<|no_token:100256|>");
        assertThat(tokenizer.decode(100261)).isEqualTo("<|no_token:100261|>");
        assertThat(tokenizer.decode(100277)).isEqualTo("<|no_token:100277|>");
        assertThat(tokenizer.decode(-1)).isEqualTo("<|no_token:-1|>");
        assertThatThrownBy(() -> tokenizer.tokenBytes(100257)).hasMessageContaining("100257");
    }

    @Test
    void partialUtf8TokensShowTheirBytes() {
        // U+1F600 is F0 9F 98 80 in UTF-8 and cl100k splits it into two tokens.
        assertThat(tokenizer.encode("😀")).containsExactly(76460, 222);
        assertThat(tokenizer.decode(76460)).isEqualTo("\\xF0\\x9F\\x98");
        assertThat(tokenizer.decode(222)).isEqualTo("\\x80");
        byte[] mixed = {'c', 'a', 'f', (byte) 0xC3, (byte) 0xC3, (byte) 0xA9};
        assertThat(CorpusTokenizer.utf8WithEscapes(mixed)).isEqualTo("caf\\xC3é");
    }

    @Test
    void idLayoutMatchesJtokkit() {
        Encoding jtokkit = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
        for (Map.Entry<Integer, String> special : CorpusTokenizer.SPECIAL_TOKENS.entrySet()) {
            assertThat(jtokkit.decode(single(special.getKey()))).isEqualTo(special.getValue());
        }
        for (int id = 0; id < CorpusTokenizer.ORDINARY_TOKEN_COUNT; id++) {
            assertThat(tokenizer.tokenBytes(id)).as("token %d", id).isNotEmpty();
        }
        assertThatThrownBy(() -> jtokkit.decode(single(CorpusTokenizer.ORDINARY_TOKEN_COUNT)));
        int maxSpecial = CorpusTokenizer.SPECIAL_TOKENS.keySet().stream().max(Integer::compare).orElseThrow();
        assertThat(tokenizer.vocabularySize()).isEqualTo(maxSpecial + 1).isEqualTo(100277);
        assertThat(tokenizer.separatorId()).isEqualTo(100257);
        assertThat(new String(tokenizer.tokenBytes(15339), StandardCharsets.UTF_8)).isEqualTo("hello");
    }

    @Test
    void modelVocabularyMustCoverEveryTokenizerId() {
        tokenizer.checkModelVocabulary(100277);
        tokenizer.checkModelVocabulary(100352);

        assertThatThrownBy(() -> tokenizer.checkModelVocabulary(100276))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("vocab_size", "100276", "100277");
        assertThatThrownBy(() -> tokenizer.checkModelVocabulary(50257))
                .hasMessageContainingAll("vocab_size", "50257", "100277");
    }

    @Test
    void bytesTokenizerIsTheTextsUtf8Bytes() {
        CorpusTokenizer bytes = CorpusTokenizer.bytes();

        assertThat(bytes.name()).isEqualTo("bytes");
        assertThat(bytes.encode("h\u00e9<|endoftext|>")).containsExactly(0x68, 0xC3, 0xA9, '<', '|', 'e', 'n', 'd',
                'o', 'f', 't', 'e', 'x', 't', '|', '>');
        assertThat(bytes.encodeUtf8(new byte[] {(byte) 0xFF, 0x41})).containsExactly(0xFF, 0x41);
        assertThat(bytes.separatorId()).isEqualTo(256);
        assertThat(bytes.vocabularySize()).isEqualTo(257);
        assertThat(bytes.isOrdinary(255)).isTrue();
        assertThat(bytes.isOrdinary(256)).isFalse();
        assertThat(bytes.bytesOf(0xC3)).isEqualTo(1);
        assertThat(bytes.bytesOf(256)).isZero();
        assertThat(bytes.tokenBytes(0xC3)).containsExactly((byte) 0xC3);
        assertThatThrownBy(() -> bytes.tokenBytes(256)).hasMessageContainingAll("256", "bytes", "0..255");
    }

    @Test
    void bytesTokenizerDecodesEachByteAsTextOrAnEscape() {
        CorpusTokenizer bytes = CorpusTokenizer.bytes();

        assertThat(bytes.decode('a')).isEqualTo("a");
        assertThat(bytes.decode('\n')).isEqualTo("\n");
        assertThat(bytes.decode(0xC3)).as("a lone lead byte is not text").isEqualTo("\\xC3");
        assertThat(bytes.decode(0x80)).isEqualTo("\\x80");
        assertThat(bytes.decode(256)).isEqualTo("<|endoftext|>");
        assertThat(bytes.decode(257)).isEqualTo("<|no_token:257|>");
    }

    @Test
    void theTokenizerIsChosenByItsConfigName() {
        assertThat(CorpusTokenizer.named("bytes")).isSameAs(CorpusTokenizer.bytes());
        assertThat(CorpusTokenizer.named("cl100k_base")).isSameAs(CorpusTokenizer.cl100k());
        assertThatThrownBy(() -> CorpusTokenizer.named("gpt2"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("longnet_tokenizer must be one of \"bytes\", \"cl100k_base\", \"o200k_base\", "
                        + "\"p50k_base\", \"r50k_base\", got \"gpt2\"");
        assertThat(CorpusTokenizer.named("o200k_base")).isSameAs(CorpusTokenizer.named("o200k_base"));
    }

    /**
     * Every id of every tiktoken encoding, against jtokkit itself: an id jtokkit cannot decode is unassigned here
     * (neither ordinary nor special), a special one decodes to its name, and an ordinary one to jtokkit's bytes; the
     * separator is {@code <|endoftext|>}, and no id lies at or past the vocabulary size.
     */
    @Test
    void everyTiktokenEncodingsIdLayoutMatchesJtokkit() {
        Map<String, EncodingType> types = Map.of("cl100k_base", EncodingType.CL100K_BASE, "o200k_base",
                EncodingType.O200K_BASE, "p50k_base", EncodingType.P50K_BASE, "r50k_base", EncodingType.R50K_BASE);
        Map<String, Integer> vocabularies = Map.of("cl100k_base", 100277, "o200k_base", 200019, "p50k_base", 50281,
                "r50k_base", 50257);
        String text = "public final class Main {  // the quick brown fox, 12345 \u00e9\u4e2d";
        for (Map.Entry<String, EncodingType> e : types.entrySet()) {
            CorpusTokenizer named = CorpusTokenizer.named(e.getKey());
            Encoding jtokkit = Encodings.newLazyEncodingRegistry().getEncoding(e.getValue());
            assertThat(named.vocabularySize()).as(e.getKey()).isEqualTo(vocabularies.get(e.getKey()));
            int ordinary = 0;
            for (int id = 0; id < named.vocabularySize(); id++) {
                byte[] expected;
                try {
                    expected = jtokkit.decodeBytes(single(id));
                } catch (RuntimeException unknown) {
                    assertThat(named.isOrdinary(id) || named.isSpecial(id)).as("%s unassigned %d", e.getKey(), id)
                            .isFalse();
                    assertThat(named.decode(id)).isEqualTo("<|no_token:" + id + "|>");
                    continue;
                }
                if (named.isSpecial(id)) {
                    assertThat(named.decode(id)).isEqualTo(new String(expected, StandardCharsets.UTF_8));
                } else {
                    assertThat(named.isOrdinary(id)).as("%s ordinary %d", e.getKey(), id).isTrue();
                    assertThat(named.tokenBytes(id)).as("%s token %d", e.getKey(), id).isEqualTo(expected);
                    ordinary++;
                }
            }
            int last = named.vocabularySize();
            assertThatThrownBy(() -> jtokkit.decodeBytes(single(last))).as("%s past the vocabulary", e.getKey());
            assertThat(named.decode(named.separatorId())).isEqualTo("<|endoftext|>");
            assertThat(ordinary).as(e.getKey()).isGreaterThan(named.vocabularySize() - 30);
            assertThat(named.encode(text)).isEqualTo(jtokkit.encodeOrdinary(text).toArray());
            assertThat(Arrays.stream(named.encode("<|endoftext|>")).allMatch(named::isOrdinary)).isTrue();
            assertThatThrownBy(() -> named.checkModelVocabulary(last - 1)).hasMessageContaining(e.getKey());
        }
    }

    @Test
    void aModelDirectoryNamesItsTokenizerInConfigJson(@TempDir Path dir) throws Exception {
        String config = "{\"vocab_size\": 257, \"segment_length\": [8], \"dilated_ratio\": [1]";
        Path bytesModel = Files.createDirectories(dir.resolve("bytes"));
        Files.writeString(bytesModel.resolve("config.json"), config + ", \"longnet_tokenizer\": \"bytes\"}");
        Path plainModel = Files.createDirectories(dir.resolve("plain"));
        Files.writeString(plainModel.resolve("config.json"), config + "}");
        Path badModel = Files.createDirectories(dir.resolve("bad"));
        Files.writeString(badModel.resolve("config.json"), config + ", \"longnet_tokenizer\": \"Bytes\"}");

        assertThat(CorpusTokenizer.forModel(bytesModel)).isSameAs(CorpusTokenizer.bytes());
        assertThat(CorpusTokenizer.forModel(plainModel)).as("the default").isSameAs(CorpusTokenizer.cl100k());
        assertThatThrownBy(() -> CorpusTokenizer.forModel(badModel))
                .hasMessageContainingAll(badModel.resolve("config.json").toString(), "longnet_tokenizer", "\"Bytes\"");
        assertThatThrownBy(() -> CorpusTokenizer.forModel(dir.resolve("missing")))
                .hasMessageContainingAll(dir.resolve("missing").resolve("config.json").toString());
    }

    @Test
    void theVocabularyRefusalNamesTheModelsSizeAndTheTokenizersNeed() {
        CorpusTokenizer.bytes().checkModelVocabulary(257);
        CorpusTokenizer.bytes().checkModelVocabulary(100277);

        assertThatThrownBy(() -> CorpusTokenizer.bytes().checkModelVocabulary(256))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("model vocab_size is 256 but its tokenizer bytes (longnet_tokenizer) needs "
                        + "vocab_size >= 257 (ids 0..256, separator 256)");
        assertThatThrownBy(() -> CorpusTokenizer.cl100k().checkModelVocabulary(257))
                .hasMessage("model vocab_size is 257 but its tokenizer cl100k_base (longnet_tokenizer) needs "
                        + "vocab_size >= 100277 (ids 0..100276, separator 100257)");
    }

    @Test
    void rejectsNullText() {
        assertThatThrownBy(() -> tokenizer.encode(null)).isInstanceOf(IllegalArgumentException.class);
    }

    private static IntArrayList single(int id) {
        IntArrayList list = new IntArrayList(1);
        list.add(id);
        return list;
    }
}
