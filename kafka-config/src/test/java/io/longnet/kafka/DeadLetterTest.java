package io.longnet.kafka;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeadLetterTest {

    @Test
    void writesTheDocumentedJsonWithBase64Original() {
        DeadLetter letter = new DeadLetter("longnet.documents", 3, 12345L, "field 'text' is empty",
                new byte[] {0, 1, 2, (byte) 0xFF});
        assertThat(new String(letter.toJson(), StandardCharsets.UTF_8)).isEqualTo(
                "{\"v\":1,\"sourceTopic\":\"longnet.documents\",\"partition\":3,\"offset\":12345,"
                        + "\"reason\":\"field 'text' is empty\",\"original\":\"AAEC/w==\"}");
    }

    @Test
    void roundTripsEveryByteValue() {
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        DeadLetter letter = new DeadLetter("t", 0, Long.MAX_VALUE, "not valid UTF-8", all);
        DeadLetter back = DeadLetter.fromJson(letter.toJson());
        assertThat(back).isEqualTo(letter);
        assertThat(back.original()).containsExactly(all);
        assertThat(back.offset()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void roundTripsATombstoneAsNullOriginal() {
        DeadLetter letter = new DeadLetter("t", 1, 2L, "record has no value (null)", null);
        assertThat(new String(letter.toJson(), StandardCharsets.UTF_8)).endsWith("\"original\":null}");
        assertThat(DeadLetter.fromJson(letter.toJson()).original()).isNull();
        assertThat(DeadLetter.fromJson(letter.toJson())).isEqualTo(letter);
    }

    @Test
    void carriesAParserRejectionAndTheExactOriginalBytes() {
        byte[] raw = "{\"id\":\"a\",\"text\":5}".getBytes(StandardCharsets.UTF_8);
        ParseOutcome.Rejected rejected = (ParseOutcome.Rejected) DocumentParser.withDefaultLimit().parse(raw);
        DeadLetter back = DeadLetter.fromJson(new DeadLetter("longnet.documents", 0, 7L, rejected.reason(), raw).toJson());
        assertThat(back.reason()).isEqualTo("field 'text' must be a string but is an integer (5)");
        assertThat(back.original()).containsExactly(raw);
    }

    @Test
    void fromJsonRejectsBadBase64() {
        String json = "{\"v\":1,\"sourceTopic\":\"t\",\"partition\":0,\"offset\":0,\"reason\":\"r\",\"original\":\"@@@\"}";
        assertThatThrownBy(() -> DeadLetter.fromJson(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.error()).isEqualTo(WireError.INVALID_VALUE))
                .hasMessageStartingWith("cannot read DeadLetter: field 'original' is not valid base64: ");
    }

    @Test
    void fromJsonRejectsNonJson() {
        assertThatThrownBy(() -> DeadLetter.fromJson("hello".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(WireFormatException.class, e -> assertThat(e.error()).isEqualTo(WireError.NOT_JSON))
                .hasMessageStartingWith("cannot read DeadLetter: not valid JSON: ");
    }

    @Test
    void refusesNegativeCoordinates() {
        assertThatThrownBy(() -> new DeadLetter("t", -1, 0L, "r", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("partition must be >= 0, was -1");
    }

    @Test
    void copiesTheOriginalBytes() {
        byte[] raw = {1, 2};
        DeadLetter letter = new DeadLetter("t", 0, 0L, "r", raw);
        raw[0] = 9;
        letter.original()[1] = 9;
        assertThat(letter.original()).containsExactly(1, 2);
    }
}
