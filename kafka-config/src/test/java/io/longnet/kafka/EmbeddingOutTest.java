package io.longnet.kafka;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EmbeddingOutTest {

    private static byte[] utf8(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void writesTheDocumentedJson() {
        EmbeddingOut out = new EmbeddingOut("doc-7", "news", 1024L, 3, new float[] {0.1f, -0.0f, Float.MIN_VALUE}, "longnet-small@3f2a");
        assertThat(new String(out.toJson(), StandardCharsets.UTF_8)).isEqualTo(
                "{\"v\":1,\"id\":\"doc-7\",\"stream\":\"news\",\"firstPosition\":1024,\"tokenCount\":3,"
                        + "\"vector\":[0.1,-0.0,1.4E-45],\"model\":\"longnet-small@3f2a\"}");
    }

    @Test
    void roundTripsEdgeCaseFloatsBitExactly() {
        float[] vector = {0.1f, -0.0f, 0.0f, Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MAX_VALUE, 1.0e-40f,
                1f / 3f, 16777217f, (float) Math.PI, -123456.789f};
        EmbeddingOut out = new EmbeddingOut("d", "s", 0L, 1, vector, "m");
        EmbeddingOut back = EmbeddingOut.fromJson(out.toJson());
        assertThat(back).isEqualTo(out);
        for (int i = 0; i < vector.length; i++) {
            assertThat(Float.floatToRawIntBits(back.vector()[i])).as("vector[%d]", i)
                    .isEqualTo(Float.floatToRawIntBits(vector[i]));
        }
    }

    @Test
    void roundTripsRandomBitPatternsExactly() {
        Random random = new Random(7);
        float[] vector = new float[4096];
        for (int i = 0; i < vector.length; i++) {
            float value;
            do {
                value = Float.intBitsToFloat(random.nextInt());
            } while (!Float.isFinite(value));
            vector[i] = value;
        }
        EmbeddingOut out = new EmbeddingOut("doc-r", "s", 9_000_000_000L, 77, vector, "m");
        EmbeddingOut back = EmbeddingOut.fromJson(out.toJson());
        assertThat(back.vector()).containsExactly(vector);
        assertThat(back.firstPosition()).isEqualTo(9_000_000_000L);
        assertThat(back.tokenCount()).isEqualTo(77);
    }

    @Test
    void readsEachFloatLiteralStraightToFloatNotViaDouble() {
        // Via double this decimal lands exactly on the midpoint between 1.0f and 1.0000001f, and the
        // tie then rounds to 1.0f; the decimal itself is above the midpoint, so the float is 1.0000001f.
        EmbeddingOut back = EmbeddingOut.fromJson(utf8("{\"v\":1,\"id\":\"d\",\"stream\":\"s\",\"firstPosition\":0,"
                + "\"tokenCount\":1,\"vector\":[1.00000005960464477550],\"model\":\"m\"}"));
        assertThat(back.vector()).containsExactly(Math.nextUp(1.0f));
    }

    @Test
    void copiesTheVectorInAndOut() {
        float[] vector = {1f, 2f};
        EmbeddingOut out = new EmbeddingOut("d", "s", 0L, 1, vector, "m");
        vector[0] = 99f;
        out.vector()[1] = 99f;
        assertThat(out.vector()).containsExactly(1f, 2f);
    }

    @Test
    void refusesNonFiniteAndEmptyVectors() {
        assertThatThrownBy(() -> new EmbeddingOut("d", "s", 0L, 1, new float[] {1f, Float.NaN}, "m"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("vector[1] must be finite, was NaN");
        assertThatThrownBy(() -> new EmbeddingOut("d", "s", 0L, 1, new float[0], "m"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("vector must have at least one value, was empty");
        assertThatThrownBy(() -> new EmbeddingOut("d", "s", -1L, 1, new float[] {1f}, "m"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("firstPosition must be >= 0, was -1");
    }

    @Test
    void fromJsonNamesTheBadField() {
        assertThatThrownBy(() -> EmbeddingOut.fromJson(utf8(
                "{\"v\":1,\"id\":\"d\",\"stream\":\"s\",\"firstPosition\":0,\"tokenCount\":1,\"vector\":[1.0,\"2\"],\"model\":\"m\"}")))
                .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.error()).isEqualTo(WireError.WRONG_TYPE))
                .hasMessage("cannot read EmbeddingOut: field 'vector[1]' must be a number but is a string");
        assertThatThrownBy(() -> EmbeddingOut.fromJson(utf8(
                "{\"v\":1,\"id\":\"d\",\"stream\":\"s\",\"firstPosition\":0,\"tokenCount\":1,\"vector\":[1e999],\"model\":\"m\"}")))
                .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.error()).isEqualTo(WireError.INVALID_VALUE))
                .hasMessage("cannot read EmbeddingOut: vector[0] must be finite, was Infinity");
    }

    @Test
    void fromJsonRequiresVersionOne() {
        assertThatThrownBy(() -> EmbeddingOut.fromJson(utf8(
                "{\"id\":\"d\",\"stream\":\"s\",\"firstPosition\":0,\"tokenCount\":1,\"vector\":[1.0],\"model\":\"m\"}")))
                .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.error()).isEqualTo(WireError.MISSING_FIELD))
                .hasMessage("cannot read EmbeddingOut: missing required field 'v'");
        assertThatThrownBy(() -> EmbeddingOut.fromJson(utf8("{\"v\":3}")))
                .isInstanceOfSatisfying(WireFormatException.class,
                        e -> assertThat(e.error()).isEqualTo(WireError.UNSUPPORTED_VERSION))
                .hasMessage("cannot read EmbeddingOut: unsupported format version v=3 (this reader understands v=1)");
    }
}
