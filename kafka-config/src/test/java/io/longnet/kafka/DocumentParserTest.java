package io.longnet.kafka;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DocumentParserTest {
    private final DocumentParser parser = DocumentParser.withDefaultLimit();

    private static byte[] utf8(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private Document valid(String json) {
        ParseOutcome outcome = parser.parse(utf8(json));
        assertThat(outcome).isInstanceOf(ParseOutcome.Valid.class);
        assertThat(outcome.isValid()).isTrue();
        return ((ParseOutcome.Valid) outcome).document();
    }

    private static ParseOutcome.Rejected rejected(DocumentParser parser, byte[] raw) {
        ParseOutcome outcome = parser.parse(raw);
        assertThat(outcome).isInstanceOf(ParseOutcome.Rejected.class);
        assertThat(outcome.isValid()).isFalse();
        return (ParseOutcome.Rejected) outcome;
    }

    private ParseOutcome.Rejected rejected(String json) {
        return rejected(parser, utf8(json));
    }

    private static void assertRejection(ParseOutcome.Rejected rejection, WireError error, String reason) {
        assertThat(rejection.reason()).isEqualTo(reason);
        assertThat(rejection.error()).isEqualTo(error);
    }

    // ---- valid documents

    @Test
    void readsEveryField() {
        Document doc = valid("{\"v\":1,\"id\":\"doc-1\",\"text\":\"Hello, world\",\"stream\":\"news\",\"ts\":1700000000123}");
        assertThat(doc).isEqualTo(new Document("doc-1", "Hello, world", "news", 1_700_000_000_123L));
    }

    @Test
    void appliesDefaultsWhenOptionalFieldsAreAbsent() {
        Document doc = valid("{\"id\":\"a\",\"text\":\"b\"}");
        assertThat(doc.stream()).isEqualTo("default");
        assertThat(doc.ts()).isNull();
        assertThat(doc).isEqualTo(new Document("a", "b"));
    }

    @Test
    void treatsExplicitNullOptionalFieldsAsAbsent() {
        assertThat(valid("{\"id\":\"a\",\"text\":\"b\",\"stream\":null,\"ts\":null}"))
                .isEqualTo(new Document("a", "b", "default", null));
    }

    @Test
    void ignoresUnknownFields() {
        assertThat(valid("{\"id\":\"a\",\"text\":\"b\",\"lang\":\"en\",\"meta\":{\"tags\":[1,2]},\"v\":1}"))
                .isEqualTo(new Document("a", "b"));
    }

    @Test
    void keepsMultiByteTextExactly() {
        String text = "Grüße, 日本語, emoji \uD83D\uDE00, escaped \u00e9";
        Document doc = valid("{\"id\":\"u\",\"text\":\"Grüße, 日本語, emoji \uD83D\uDE00, escaped \\u00e9\"}");
        assertThat(doc.text()).isEqualTo(text);
    }

    @Test
    void acceptsNegativeTimestampAndLongMaxValue() {
        assertThat(valid("{\"id\":\"a\",\"text\":\"b\",\"ts\":-1}").ts()).isEqualTo(-1L);
        assertThat(valid("{\"id\":\"a\",\"text\":\"b\",\"ts\":9223372036854775807}").ts()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void documentToJsonIsTheWireFormatAndParsesBack() {
        Document withTs = new Document("d1", "some \"quoted\" text\n", "s", 42L);
        Document withoutTs = new Document("d2", "x");
        assertThat(new String(withTs.toJson(), StandardCharsets.UTF_8))
                .isEqualTo("{\"v\":1,\"id\":\"d1\",\"text\":\"some \\\"quoted\\\" text\\n\",\"stream\":\"s\",\"ts\":42}");
        assertThat(new String(withoutTs.toJson(), StandardCharsets.UTF_8))
                .isEqualTo("{\"v\":1,\"id\":\"d2\",\"text\":\"x\",\"stream\":\"default\"}");
        assertThat(((ParseOutcome.Valid) parser.parse(withTs.toJson())).document()).isEqualTo(withTs);
        assertThat(((ParseOutcome.Valid) parser.parse(withoutTs.toJson())).document()).isEqualTo(withoutTs);
    }

    @Test
    void acceptsADocumentOfExactlyTheLimit() {
        byte[] raw = utf8("{\"id\":\"a\",\"text\":\"b\"}");
        assertThat(new DocumentParser(raw.length).parse(raw).isValid()).isTrue();
    }

    // ---- rejections, one per kind

    @Test
    void rejectsTombstone() {
        assertRejection(rejected(parser, null), WireError.NO_VALUE, "record has no value (null)");
    }

    @Test
    void rejectsOversizedDocumentBeforeLookingAtItsContent() {
        DocumentParser small = new DocumentParser(32);
        byte[] notEvenUtf8 = new byte[33];
        Arrays.fill(notEvenUtf8, (byte) 0xFF);
        assertRejection(rejected(small, notEvenUtf8), WireError.TOO_LARGE,
                "document is 33 bytes, over the limit max-document-bytes=32");
    }

    @Test
    void rejectsMalformedUtf8WithTheByteOffset() {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        byte[] prefix = utf8("{\"id\":\"a\",\"text\":\"");
        raw.writeBytes(prefix);
        raw.writeBytes(new byte[] {(byte) 0xC3, (byte) 0x28}); // 0xC3 needs a continuation byte
        raw.writeBytes(utf8("\"}"));
        assertRejection(rejected(parser, raw.toByteArray()), WireError.NOT_UTF8,
                "not valid UTF-8: malformed byte sequence at byte offset " + prefix.length);
    }

    @Test
    void rejectsOverlongAndSurrogateEncodingsThatLenientDecodersAccept() {
        byte[] overlongSlash = {'"', (byte) 0xC0, (byte) 0xAF, '"'};
        byte[] encodedSurrogate = {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'};
        assertThat(rejected(parser, overlongSlash).error()).isEqualTo(WireError.NOT_UTF8);
        assertThat(rejected(parser, encodedSurrogate).error()).isEqualTo(WireError.NOT_UTF8);
    }

    @Test
    void rejectsTruncatedJsonWithItsLocation() {
        ParseOutcome.Rejected r = rejected("{\"id\":\"a\",\"text\":");
        assertThat(r.error()).isEqualTo(WireError.NOT_JSON);
        assertThat(r.reason()).startsWith("not valid JSON: ").contains("line 1, column 18");
    }

    @Test
    void rejectsEmptyInputAsNotJson() {
        assertRejection(rejected(""), WireError.NOT_JSON, "not valid JSON: no content");
    }

    @Test
    void rejectsTrailingContentAfterTheObject() {
        ParseOutcome.Rejected r = rejected("{\"id\":\"a\",\"text\":\"b\"} {\"id\":\"c\"}");
        assertThat(r.error()).isEqualTo(WireError.NOT_JSON);
        assertThat(r.reason()).startsWith("not valid JSON: ").contains("Trailing token");
    }

    @Test
    void rejectsDuplicateFieldsAsAmbiguous() {
        ParseOutcome.Rejected r = rejected("{\"id\":\"a\",\"text\":\"b\",\"id\":\"c\"}");
        assertThat(r.error()).isEqualTo(WireError.NOT_JSON);
        assertThat(r.reason()).startsWith("not valid JSON: Duplicate field 'id'");
    }

    @Test
    void rejectsJsonThatIsNotAnObjectNamingTheTypeFound() {
        assertRejection(rejected("[1,2]"), WireError.NOT_OBJECT, "not a JSON object: the top-level value is an array");
        assertRejection(rejected("\"text\""), WireError.NOT_OBJECT, "not a JSON object: the top-level value is a string");
        assertRejection(rejected("42"), WireError.NOT_OBJECT, "not a JSON object: the top-level value is an integer (42)");
        assertRejection(rejected("null"), WireError.NOT_OBJECT, "not a JSON object: the top-level value is null");
    }

    @Test
    void rejectsMissingId() {
        assertRejection(rejected("{\"text\":\"b\"}"), WireError.MISSING_FIELD, "missing required field 'id'");
    }

    @Test
    void rejectsMissingText() {
        assertRejection(rejected("{\"id\":\"a\"}"), WireError.MISSING_FIELD, "missing required field 'text'");
    }

    @Test
    void rejectsWrongTypesNamingFieldAndJsonType() {
        assertRejection(rejected("{\"id\":\"a\",\"text\":5}"), WireError.WRONG_TYPE,
                "field 'text' must be a string but is an integer (5)");
        assertRejection(rejected("{\"id\":{},\"text\":\"b\"}"), WireError.WRONG_TYPE,
                "field 'id' must be a string but is an object");
        assertRejection(rejected("{\"id\":null,\"text\":\"b\"}"), WireError.WRONG_TYPE,
                "field 'id' must be a string but is null");
        assertRejection(rejected("{\"id\":\"a\",\"text\":[\"b\"]}"), WireError.WRONG_TYPE,
                "field 'text' must be a string but is an array");
        assertRejection(rejected("{\"id\":\"a\",\"text\":\"b\",\"stream\":true}"), WireError.WRONG_TYPE,
                "field 'stream' must be a string but is a boolean (true)");
        assertRejection(rejected("{\"id\":\"a\",\"text\":\"b\",\"ts\":\"yesterday\"}"), WireError.WRONG_TYPE,
                "field 'ts' must be an integer (64-bit) but is a string");
        assertRejection(rejected("{\"id\":\"a\",\"text\":\"b\",\"ts\":1.5}"), WireError.WRONG_TYPE,
                "field 'ts' must be an integer (64-bit) but is a fractional number (1.5)");
        assertRejection(rejected("{\"id\":\"a\",\"text\":\"b\",\"ts\":9223372036854775808}"), WireError.WRONG_TYPE,
                "field 'ts' must be an integer (64-bit) but is an integer (9223372036854775808)");
    }

    @Test
    void rejectsEmptyText() {
        assertRejection(rejected("{\"id\":\"a\",\"text\":\"\"}"), WireError.EMPTY_FIELD, "field 'text' is empty");
    }

    @Test
    void rejectsEmptyIdAndEmptyStream() {
        assertRejection(rejected("{\"id\":\"\",\"text\":\"b\"}"), WireError.EMPTY_FIELD, "field 'id' is empty");
        assertRejection(rejected("{\"id\":\"a\",\"text\":\"b\",\"stream\":\"\"}"), WireError.EMPTY_FIELD,
                "field 'stream' is empty");
    }

    @Test
    void rejectsUnsupportedVersionBeforeCheckingFields() {
        assertRejection(rejected("{\"v\":2,\"document\":\"renamed in v2\"}"), WireError.UNSUPPORTED_VERSION,
                "unsupported format version v=2 (this reader understands v=1)");
        assertRejection(rejected("{\"v\":\"1\",\"id\":\"a\",\"text\":\"b\"}"), WireError.WRONG_TYPE,
                "field 'v' must be an integer but is a string");
    }

    @Test
    void rejectsTextWithAnEscapedUnpairedSurrogate() {
        assertRejection(rejected("{\"id\":\"a\",\"text\":\"x\\ud800y\"}"), WireError.INVALID_VALUE,
                "field 'text' is not valid Unicode: unpaired surrogate U+D800 at char index 1");
    }

    @Test
    void neverThrowsOnTruncatedOrCorruptedInput() {
        byte[] good = new Document("doc-9", "Grüße \uD83D\uDE00 text", "s", 7L).toJson();
        for (int length = 0; length < good.length; length++) {
            assertThat(parser.parse(Arrays.copyOf(good, length)).isValid())
                    .as("prefix of %d bytes", length).isFalse();
        }
        Random random = new Random(42);
        for (int i = 0; i < 2000; i++) {
            byte[] corrupted = good.clone();
            corrupted[random.nextInt(corrupted.length)] = (byte) random.nextInt(256);
            assertThat(parser.parse(corrupted)).isNotNull();
        }
    }

    @Test
    void limitMustBePositive() {
        assertThatThrownBy(() -> new DocumentParser(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("max-document-bytes must be >= 1, was 0");
    }

    @Test
    void documentRecordRefusesEmptyFields() {
        assertThatThrownBy(() -> new Document("a", ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("text must not be empty");
        assertThatThrownBy(() -> new Document("a", "b", null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("stream must not be null");
    }
}
