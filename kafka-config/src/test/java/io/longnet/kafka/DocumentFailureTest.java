package io.longnet.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DocumentFailureTest {

    @Test
    void writesTheDocumentedJsonAndReadsItBack() {
        DocumentFailure failure = new DocumentFailure("doc-7", "news", 1L << 40, 12,
                "encoder: the model's features are NaN at position 9 (token id 4)", "longnet-small@3f2a");
        assertThat(new String(failure.toJson(), StandardCharsets.UTF_8)).isEqualTo(
                "{\"v\":1,\"id\":\"doc-7\",\"stream\":\"news\",\"firstPosition\":1099511627776,\"tokenCount\":12,"
                        + "\"reason\":\"encoder: the model's features are NaN at position 9 (token id 4)\","
                        + "\"model\":\"longnet-small@3f2a\"}");
        assertThat(DocumentFailure.fromJson(failure.toJson())).isEqualTo(failure);
        assertThat(DocumentFailure.isDocumentFailure(failure.toJson())).isTrue();
    }

    @Test
    void aDeadLetterIsNotADocumentFailure() {
        byte[] letter = new DeadLetter("t", 0, 1, "not JSON", new byte[] {1}).toJson();
        assertThat(DocumentFailure.isDocumentFailure(letter)).isFalse();
        assertThat(DocumentFailure.isDocumentFailure("[1]".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThatThrownBy(() -> DocumentFailure.fromJson(letter)).isInstanceOf(WireFormatException.class)
                .hasMessageContaining("id");
        assertThatThrownBy(() -> new DocumentFailure("d", "s", 0, 0, "r", "m")).hasMessageContaining("tokenCount");
    }
}
