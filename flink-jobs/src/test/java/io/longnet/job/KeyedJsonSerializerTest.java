package io.longnet.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.kafka.DeadLetter;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.kafka.PredictionOut;
import io.longnet.kafka.TopToken;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.util.InstantiationUtil;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class KeyedJsonSerializerTest {

    @Test
    void outputsAreKeyedByDocumentIdAndCarryTheirJson() throws Exception {
        EmbeddingOut embedding = new EmbeddingOut("doc-7", "s", 3, 2, new float[] {1f, -2f}, "abc");
        PredictionOut prediction = new PredictionOut("doc-7", "s", 3, 2, 1.5, Math.exp(1.5), 0.75,
                List.of(new TopToken(11, ",", 0.25)));
        // The sinks ship the serializers to the task managers.
        KeyedJsonSerializer<EmbeddingOut> embeddings =
                InstantiationUtil.clone(KeyedJsonSerializer.embeddings("emb"));

        ProducerRecord<byte[], byte[]> e = embeddings.serialize(embedding, null, 42L);
        ProducerRecord<byte[], byte[]> p = KeyedJsonSerializer.predictions("pred").serialize(prediction, null, null);

        assertThat(e.topic()).isEqualTo("emb");
        assertThat(new String(e.key(), StandardCharsets.UTF_8)).isEqualTo("doc-7");
        assertThat(EmbeddingOut.fromJson(e.value())).isEqualTo(embedding);
        assertThat(e.timestamp()).isEqualTo(42L);
        assertThat(p.topic()).isEqualTo("pred");
        assertThat(new String(p.key(), StandardCharsets.UTF_8)).isEqualTo("doc-7");
        assertThat(PredictionOut.fromJson(p.value())).isEqualTo(prediction);
    }

    @Test
    void deadLettersAreKeyedByTheirSourceCoordinates() {
        DeadLetter letter = new DeadLetter("docs", 1, 17, "NOT_JSON: not valid JSON", new byte[] {1, 2});

        ProducerRecord<byte[], byte[]> r = KeyedJsonSerializer.deadLetters("dlq").serialize(letter, null, null);

        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("docs/1/17");
        assertThat(DeadLetter.fromJson(r.value())).isEqualTo(letter);
    }
}
