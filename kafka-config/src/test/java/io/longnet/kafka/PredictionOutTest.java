package io.longnet.kafka;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PredictionOutTest {

    @Test
    void writesTheDocumentedJson() {
        // 3 tokens of 12 UTF-8 bytes: 3 x 2.5 nats / ln 2 / 12 bytes
        PredictionOut out = new PredictionOut("doc-7", "news", 1024L, 3, 2.5, 12.182493960703473, 0.9016844005556021,
                List.of(new TopToken(13, ".", 0.5), new TopToken(279, " the", 0.125)));
        assertThat(new String(out.toJson(), StandardCharsets.UTF_8)).isEqualTo(
                "{\"v\":1,\"id\":\"doc-7\",\"stream\":\"news\",\"firstPosition\":1024,\"tokenCount\":3,"
                        + "\"meanNll\":2.5,\"perplexity\":12.182493960703473,\"bitsPerByte\":0.9016844005556021,"
                        + "\"topNext\":[{\"id\":13,\"text\":\".\",\"probability\":0.5},"
                        + "{\"id\":279,\"text\":\" the\",\"probability\":0.125}]}");
    }

    @Test
    void roundTripsExactDoubles() {
        PredictionOut out = new PredictionOut("d", "s", Long.MAX_VALUE, Integer.MAX_VALUE, Math.PI, Math.exp(Math.PI),
                Math.PI / Math.log(2) / 3, List.of(new TopToken(0, "", Double.MIN_VALUE),
                        new TopToken(100_276, "\uD83D\uDE00", 1.0 / 3.0), new TopToken(5, "\n", 1.0)));
        PredictionOut back = PredictionOut.fromJson(out.toJson());
        assertThat(back).isEqualTo(out);
        assertThat(back.meanNll()).isEqualTo(Math.PI);
        assertThat(back.perplexity()).isEqualTo(Math.exp(Math.PI));
        assertThat(back.bitsPerByte()).isEqualTo(Math.PI / Math.log(2) / 3);
        assertThat(back.topNext().get(1).probability()).isEqualTo(1.0 / 3.0);
        assertThat(back.topNext().get(0).probability()).isEqualTo(Double.MIN_VALUE);
    }

    @Test
    void roundTripsAnEmptyTopNextAndASlightlyNegativeNll() {
        PredictionOut out = new PredictionOut("d", "s", 0L, 1, -1.0e-9, 0.999999999, -1.4e-9, List.of());
        assertThat(PredictionOut.fromJson(out.toJson())).isEqualTo(out);
    }

    @Test
    void copiesTheTopNextList() {
        List<TopToken> tokens = new ArrayList<>(List.of(new TopToken(1, "a", 0.5)));
        PredictionOut out = new PredictionOut("d", "s", 0L, 1, 1.0, Math.E, 1.4, tokens);
        tokens.clear();
        assertThat(out.topNext()).containsExactly(new TopToken(1, "a", 0.5));
    }

    @Test
    void refusesOutOfRangeValues() {
        assertThatThrownBy(() -> new TopToken(1, "a", 1.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("topToken.probability must be in [0, 1], was 1.5");
        assertThatThrownBy(() -> new TopToken(1, "a", Double.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("topToken.probability must be in [0, 1], was NaN");
        assertThatThrownBy(() -> new PredictionOut("d", "s", 0L, 1, Double.POSITIVE_INFINITY, 1.0, 1.0, List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("meanNll must be finite, was Infinity");
        assertThatThrownBy(() -> new PredictionOut("d", "s", 0L, 1, 1.0, Math.E, Double.POSITIVE_INFINITY, List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("bitsPerByte must be finite, was Infinity");
        assertThatThrownBy(() -> new PredictionOut("d", "s", 0L, 0, 1.0, 1.0, 1.0, List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("tokenCount must be >= 1, was 0");
    }

    @Test
    void anOverflowingPerplexityTravelsAsNullAndOnlyThen() {
        PredictionOut out = new PredictionOut("d", "s", 0L, 1, 800.0, Double.POSITIVE_INFINITY, 800.0 / Math.log(2),
                List.of());
        String json = new String(out.toJson(), StandardCharsets.UTF_8);

        assertThat(json).contains("\"perplexity\":null");
        assertThat(PredictionOut.fromJson(out.toJson())).isEqualTo(out);
        assertThatThrownBy(() -> new PredictionOut("d", "s", 0L, 1, 1.0, Double.POSITIVE_INFINITY, 1.0, List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("perplexity must be exp(meanNll), finite unless that overflows; got Infinity for meanNll 1.0");
        assertThatThrownBy(() -> new PredictionOut("d", "s", 0L, 1, 800.0, 1.0e300, 1.0, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void bitsPerByteNotAvailableTravelsAsNull() {
        PredictionOut out = new PredictionOut("d", "s", 0L, 1, 1.0, Math.E, Double.NaN, List.of());
        String json = new String(out.toJson(), StandardCharsets.UTF_8);

        assertThat(json).contains("\"bitsPerByte\":null");
        PredictionOut back = PredictionOut.fromJson(out.toJson());
        assertThat(back).isEqualTo(out);
        assertThat(back.bitsPerByte()).isNaN();
    }

    /** Records of builds before bits per byte have no such field: read as not available. */
    @Test
    void readsARecordWithoutBitsPerByte() {
        String json = "{\"v\":1,\"id\":\"doc-7\",\"stream\":\"news\",\"firstPosition\":1024,\"tokenCount\":3,"
                + "\"meanNll\":2.5,\"perplexity\":12.182493960703473,\"topNext\":[{\"id\":13,\"text\":\".\","
                + "\"probability\":0.5}]}";

        PredictionOut read = PredictionOut.fromJson(json.getBytes(StandardCharsets.UTF_8));

        assertThat(read).isEqualTo(new PredictionOut("doc-7", "news", 1024L, 3, 2.5, 12.182493960703473, Double.NaN,
                List.of(new TopToken(13, ".", 0.5))));
    }

    @Test
    void fromJsonNamesABitsPerByteOfTheWrongType() {
        String json = "{\"v\":1,\"id\":\"d\",\"stream\":\"s\",\"firstPosition\":0,\"tokenCount\":1,\"meanNll\":1.0,"
                + "\"perplexity\":2.7,\"bitsPerByte\":\"1.4\",\"topNext\":[]}";
        assertThatThrownBy(() -> PredictionOut.fromJson(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.error()).isEqualTo(WireError.WRONG_TYPE))
                .hasMessage("cannot read PredictionOut: field 'bitsPerByte' must be a number but is a string");
    }

    @Test
    void fromJsonNamesTheBadNestedField() {
        String json = "{\"v\":1,\"id\":\"d\",\"stream\":\"s\",\"firstPosition\":0,\"tokenCount\":1,\"meanNll\":1.0,"
                + "\"perplexity\":2.7,\"topNext\":[{\"id\":1,\"text\":\"a\",\"probability\":0.5},"
                + "{\"id\":2,\"text\":\"b\",\"probability\":\"high\"}]}";
        assertThatThrownBy(() -> PredictionOut.fromJson(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.error()).isEqualTo(WireError.WRONG_TYPE))
                .hasMessage("cannot read PredictionOut: field 'topNext[1].probability' must be a number but is a string");
    }

    @Test
    void fromJsonNamesAMissingField() {
        String json = "{\"v\":1,\"id\":\"d\",\"stream\":\"s\",\"firstPosition\":0,\"tokenCount\":1,\"meanNll\":1.0,\"topNext\":[]}";
        assertThatThrownBy(() -> PredictionOut.fromJson(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.error()).isEqualTo(WireError.MISSING_FIELD))
                .hasMessage("cannot read PredictionOut: missing required field 'perplexity'");
    }
}
